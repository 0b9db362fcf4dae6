package org.havirt.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** havirtverify for RHEV resources, against the RHEV-M simulator over real HTTPS. */
class RhevVerifyIT {
  @TempDir Path dir;
  RhevmSimulator sim;
  Path key;
  PasswordCipher cipher;
  boolean unbound; // an HVE1 value, as havirt encrypt made before passwords were bound
  static final String USER = "admin@internal";

  record Run(int exit, String out) {}

  static final String FAILED = "Virtualization environment validation failed for resource erp_vm\n";

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw");
    sim.model.addCluster("prod");
    sim.model.addHost("hv1", "prod");
    sim.model.addVm("erp", "prod");
    key = dir.resolve("havirt.key");
    cipher = PasswordCipher.openOrCreate(key);
  }

  @AfterEach
  void tearDown() {
    sim.close();
  }

  Run verify(String guest, String password, String cluster, String extra) throws Exception {
    Path main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system n1 ( PhysicalServer = hv1 )\nsystem n2 ( )\n"
            + "group g ( SystemList = { n1 = 0, n2 = 1 } )\n"
            + "KVMGuest erp_vm ( GuestName = "
            + guest
            + "\n  RHEVMInfo = { Enabled = 1, URL = \""
            + sim.url()
            + "\", User = \"admin@internal\", Password = "
            + (unbound ? cipher.encrypt(password) : cipher.encryptFor(password, sim.url(), USER))
            + ", Cluster = "
            + cluster
            + extra
            + " } )\n");
    return run(main, "n1");
  }

  Run run(Path main, String sys) {
    StringWriter out = new StringWriter();
    CommandLine cl = HavirtVerify.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(out));
    int code =
        cl.execute("erp_vm", "-c", main.toString(), "--sys", sys, "--key-file", key.toString());
    return new Run(code, out.toString());
  }

  String ca() {
    return ", CAFile = \"" + sim.caPem() + "\"";
  }

  @Test
  void aGoodSetUpPassesWithTheRhevLine() throws Exception {
    assertThat(verify("erp", "pw", "prod", ca()))
        .isEqualTo(
            new Run(
                0,
                "Red Hat Enterprise Virtualization Environment validation successfully completed"
                    + " for resource erp_vm\n"));
  }

  @Test
  void anUnboundHve1PasswordFailsWithTheCommandThatReEncryptsIt() throws Exception {
    unbound = true;
    Run r = verify("erp", "pw", "prod", ca());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "RHEVMInfo.Password is an HVE1 value, not bound to its RHEV-M: anyone who can"
                + " configure a resource could send it to another server; run havirt encrypt --url '"
                + sim.url()
                + "' --user 'admin@internal' --key-file '"
                + key
                + "' and put its output in RHEVMInfo.Password\n");
  }

  @Test
  void aKeyFileOthersCanReadFailsWithTheFix() throws Exception {
    verify("erp", "pw", "prod", ca());
    Files.setPosixFilePermissions(
        key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
    Run r = run(dir.resolve("main.cf"), "n1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(
            FAILED
                + "the key file "
                + key
                + " has mode 0640, so others may read it: run 'chmod 0600 "
                + key
                + "'");
  }

  @Test
  void badCredentials() throws Exception {
    Run r = verify("erp", "wrong", "prod", ca());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(FAILED)
        .contains("RHEV-M refused the credentials of user admin@internal")
        .contains("re-encrypt the password with 'havirt encrypt'")
        .doesNotContain("wrong");
  }

  @Test
  void aPlainPasswordIsRefusedWithoutBeingShown() throws Exception {
    Path main = dir.resolve("main.cf");
    verify("erp", "pw", "prod", ca());
    Files.writeString(
        main,
        Files.readString(main).replaceAll("Password = HVE2\\.[A-Za-z0-9_-]+", "Password = s3cret"));
    Run r = run(main, "n1");
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "RHEVMInfo.Password is not encrypted: replace it with the output of 'havirt"
                + " encrypt'; fix RHEVMInfo in main.cf\n");
  }

  @Test
  void anUntrustedCertificate() throws Exception {
    Run r = verify("erp", "pw", "prod", "");
    assertThat(r.out())
        .startsWith(FAILED)
        .contains("is not trusted")
        .contains("give RHEV-M's CA certificate with RHEVMInfo CAFile");
  }

  @Test
  void anUnknownClusterAndVm() throws Exception {
    Run r = verify("ERP", "pw", "Prod", ca());
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "RHEV-M has no cluster named 'Prod'; set RHEVMInfo.Cluster to a cluster RHEV-M"
                + " lists (names are case-sensitive)\n"
                + "RHEV-M has no VM named exactly 'ERP'; set GuestName to the VM's name in RHEV-M"
                + " (case-sensitive)\n");
  }

  @Test
  void rhevOwnHighAvailabilityMustBeOff() throws Exception {
    sim.model.vmByName("erp").orElseThrow().haEnabled = true;
    assertThat(verify("erp", "pw", "prod", ca()).out())
        .isEqualTo(
            FAILED
                + "RHEV's own high availability is enabled for VM erp; disable it (VM > Edit > High"
                + " Availability), or RHEV-M and the cluster engine will both restart the VM\n");
  }

  @Test
  void thisSystemMustBeARhevHost() throws Exception {
    verify("erp", "pw", "prod", ca());
    Run r = run(dir.resolve("main.cf"), "n2");
    assertThat(r.out())
        .contains("RHEV-M has no host named 'n2' (this system)")
        .contains("set this system's PhysicalServer");
  }

  @Test
  void rhevmDown() throws Exception {
    String url = sim.url();
    sim.close();
    Run r = verify("erp", "pw", "prod", ca());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(FAILED)
        .contains("RHEV-M at localhost is unreachable")
        .contains("check RHEVMInfo.URL, that RHEV-M runs");
    assertThat(url).startsWith("https://");
  }

  @Test
  void drOptsAreCheckedForRhevToo() throws Exception {
    Run r =
        verify(
            "erp",
            "pw",
            "prod",
            ca()
                + " }\n  DROpts = { ConfigureNetwork = 1, IPAddress = \"10.0.0.5\", Netmask ="
                + " \"255.255.0.255\"");
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "DROpts is not usable: DROpts.Netmask '255.255.0.255' is not a contiguous IPv4"
                + " netmask or a prefix length 0-32; fix those DROpts keys (or set"
                + " ConfigureNetwork = 0)\n");
  }
}
