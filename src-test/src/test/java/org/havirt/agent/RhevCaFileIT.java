package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;
import org.havirt.verify.HavirtVerify;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The node option {@code --rhev-ca-file} (env {@code HAVIRT_RHEV_CA_FILE}), issue 17 point 5:
 * docs/rhev.md promised a node-wide CA for RHEV resources without {@code RHEVMInfo.CAFile}, and
 * nothing set it. Against the RHEV-M simulator, whose certificate is signed by a CA of its own that
 * no system trusts: trusted with the option, refused without, and a resource's own CAFile still
 * wins over the node's.
 */
class RhevCaFileIT {
  static final Path HAVIRT =
      Path.of("..", "packaging", "target", "havirt", "bin", "havirt").toAbsolutePath().normalize();
  static final String USER = "admin@internal";
  static final String OFFLINE = "monitor erp_vm: OFFLINE rhev: down\n";
  @TempDir static Path dir;
  static RhevmSimulator sim;
  static Path otherCa; // a CA that did not sign the simulator's certificate
  static Path key;
  static Path main;

  record Run(int exit, String out) {}

  @BeforeAll
  static void setUp() throws Exception {
    sim = new RhevmSimulator(dir.resolve("sim"), 0, USER, "pw");
    sim.model.addCluster("prod");
    sim.model.addHost("hv1", "prod");
    sim.model.addVm("erp", "prod");
    otherCa = otherCa(dir.resolve("other"));
    key = dir.resolve("havirt.key");
    PasswordCipher cipher = PasswordCipher.openOrCreate(key);
    String password = cipher.encryptFor("pw", sim.url(), USER);
    main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system n1 ( PhysicalServer = hv1 )\n"
            + "group g ( SystemList = { n1 = 0 } )\n"
            // No CAFile: the node's CA applies.
            + "KVMGuest erp_vm ( GuestName = erp\n  RHEVMInfo = { Enabled = 1, URL = \""
            + sim.url()
            + "\", User = \""
            + USER
            + "\", Password = "
            + password
            + ", Cluster = prod } )\n"
            // Another CA in the resource: it must win over the node's (right) one.
            + "KVMGuest pinned_vm ( GuestName = erp\n  RHEVMInfo = { Enabled = 1, URL = \""
            + sim.url()
            + "\", User = \""
            + USER
            + "\", Password = "
            + password
            + ", Cluster = prod, CAFile = \""
            + otherCa
            + "\" } )\n");
  }

  @AfterAll
  static void tearDown() {
    if (sim != null) {
      sim.close();
    }
  }

  /** A CA of its own (every simulator of a JVM shares one CA, so another simulator won't do). */
  static Path otherCa(Path d) throws Exception {
    Files.createDirectories(d);
    String ks = d.resolve("ca.p12").toString();
    Path pem = d.resolve("ca.pem");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=another CA",
        "-ext",
        "bc:c",
        "-validity",
        "3",
        "-keystore",
        ks,
        "-storetype",
        "PKCS12",
        "-storepass",
        "another");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        ks,
        "-storepass",
        "another",
        "-file",
        pem.toString());
    return pem;
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  /** {@code bin/havirt invoke monitor} from the built distribution, with this environment. */
  static Run invoke(Map<String, String> env, String res, String... options) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(HAVIRT.toString(), "invoke", "monitor", res));
    cmd.addAll(List.of(options));
    cmd.addAll(List.of("-c", main.toString(), "--sys", "n1", "--key-file", key.toString()));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("HAVIRT_RHEV_CA_FILE");
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void invokeTrustsTheNodeCaFromTheOptionOrTheEnvironmentAndRefusesWithoutIt() throws Exception {
    String ca = sim.caPem().toString();
    assertThat(invoke(Map.of(), "erp_vm", "--rhev-ca-file", ca)).isEqualTo(new Run(100, OFFLINE));
    assertThat(invoke(Map.of("HAVIRT_RHEV_CA_FILE", ca), "erp_vm"))
        .isEqualTo(new Run(100, OFFLINE));
    Run without = invoke(Map.of(), "erp_vm");
    assertThat(without.exit()).isEqualTo(99);
    assertThat(without.out())
        .startsWith("monitor erp_vm: UNKNOWN ")
        .contains("is not trusted")
        .contains("--rhev-ca-file");
  }

  @Test
  void aResourcesOwnCaFileWinsOverTheNodes() throws Exception {
    Run r = invoke(Map.of(), "pinned_vm", "--rhev-ca-file", sim.caPem().toString());
    assertThat(r.exit()).isEqualTo(99);
    assertThat(r.out()).startsWith("monitor pinned_vm: UNKNOWN ").contains("is not trusted");
  }

  @Test
  void havirtverifyTakesTheOptionToo() {
    Run with = verify("--rhev-ca-file", sim.caPem().toString());
    assertThat(with)
        .isEqualTo(
            new Run(
                0,
                "Red Hat Enterprise Virtualization Environment validation successfully completed"
                    + " for resource erp_vm\n"));
    Run without = verify();
    assertThat(without.exit()).isEqualTo(1);
    assertThat(without.out()).contains("is not trusted").contains("--rhev-ca-file");
  }

  static Run verify(String... options) {
    StringWriter out = new StringWriter();
    CommandLine cl = HavirtVerify.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(out));
    List<String> args =
        new ArrayList<>(List.of("erp_vm", "-c", main.toString(), "--sys", "n1", "--key-file"));
    args.add(key.toString());
    args.addAll(List.of(options));
    int code = cl.execute(args.toArray(String[]::new));
    return new Run(code, out.toString());
  }
}
