package org.havirt.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** havirtverify for KVM resources, against a private test-driver libvirtd. */
class KvmVerifyIT {
  @TempDir Path dir;
  PrivateLibvirtd libvirtd;
  Path sync;
  Path disk;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    libvirtd = PrivateLibvirtd.testDriver(dir.resolve("tdrv"));
    sync = Files.createDirectories(dir.resolve("sync"));
    disk = Files.writeString(dir.resolve("g1.img"), "disk");
    Path xml = dir.resolve("g1.xml");
    Files.writeString(xml, xml("g1", disk.toString()));
    libvirtd.virsh("define", xml.toString());
  }

  @AfterEach
  void tearDown() throws IOException {
    if (libvirtd != null) {
      libvirtd.close();
    }
  }

  static String xml(String name, String diskPath) {
    return "<domain type='test'><name>"
        + name
        + "</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>"
        + "<source file='"
        + diskPath
        + "'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
  }

  Path config(String resourceBody) throws IOException {
    Path main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system n1 ( PhysicalServer = hv1 )\nsystem n2 ( PhysicalServer = hv2 )\n"
            + "group g ( SystemList = { n1 = 0, n2 = 1 } )\n"
            + "KVMGuest res ( "
            + resourceBody
            + " )\n");
    return main;
  }

  Run verify(Path main, String... extra) {
    List<String> args = new ArrayList<>(List.of("res", "-c", main.toString(), "--sys", "n1"));
    args.add("--libvirt-uri=" + libvirtd.uri());
    args.add("--state-dir=" + dir.resolve("state"));
    args.add("--migrate-uri=qemu+ssh://%h/system");
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = HavirtVerify.commandLine();
    cl.setOverwrittenOptionsAllowed(true); // a test's extra option replaces the default above
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  static final String FAILED = "Virtualization environment validation failed for resource res\n";

  @Test
  void aDefinedGuestWithItsDisksAndAWritableSyncDirPasses() throws Exception {
    Run r =
        verify(
            config(
                "GuestName = g1\n  SyncDir = \""
                    + sync
                    + "\"\n  DROpts = { ConfigureNetwork = 1, IPAddress = \"10.0.0.5\", Netmask ="
                    + " \"24\", Gateway = \"10.0.0.1\", DNSServers = \"10.0.0.53\" }"));
    assertThat(r)
        .isEqualTo(
            new Run(0, "KVM Environment validation successfully completed for resource res\n", ""));
  }

  @Test
  void anUndefinedGuestPassesWhenItsXmlFileIsGoodAndFailsOtherwise() throws Exception {
    Path good = Files.writeString(dir.resolve("g2.xml"), xml("g2", disk.toString()));
    assertThat(verify(config("GuestName = g2\n  GuestConfigFilePath = \"" + good + "\"")).exit())
        .isZero();

    Path wrongName = Files.writeString(dir.resolve("other.xml"), xml("other", disk.toString()));
    Run r = verify(config("GuestName = g2\n  GuestConfigFilePath = \"" + wrongName + "\""));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + wrongName
                + " defines domain 'other', not GuestName 'g2'; fix GuestConfigFilePath (a readable"
                + " libvirt domain XML whose <name> is g2)\n");

    Path garbage = Files.writeString(dir.resolve("bad.xml"), "<domain><name>g2</name>");
    assertThat(verify(config("GuestName = g2\n  GuestConfigFilePath = \"" + garbage + "\"")).out())
        .startsWith(FAILED)
        .contains(garbage + " is not a valid domain XML");

    Run none = verify(config("GuestName = g2"));
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.out())
        .startsWith(FAILED)
        .contains("guest g2 is not defined in libvirtd at " + libvirtd.uri())
        .contains("define it (virsh define), or set GuestConfigFilePath");
  }

  @Test
  void aGuestInSyncDirPasses() throws Exception {
    Files.writeString(sync.resolve("g3.xml"), xml("g3", disk.toString()));
    assertThat(verify(config("GuestName = g3\n  SyncDir = \"" + sync + "\"")).exit()).isZero();
  }

  @Test
  void aSyncDirThatIsNotADirectoryFails() throws Exception {
    Run r = verify(config("GuestName = g1\n  SyncDir = \"" + dir.resolve("nosuch") + "\""));
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "SyncDir "
                + dir.resolve("nosuch")
                + " is not a directory; create it on shared storage, mounted at the same path on"
                + " every system\n");
  }

  @Test
  void aMissingDiskFails() throws Exception {
    Files.delete(disk);
    Run r = verify(config("GuestName = g1"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains("disk sources not visible on this host: " + disk + " (missing)")
        .contains("make the guest's storage available at the same paths on every system");
  }

  @Test
  void anUnreachableLibvirtdFails() throws Exception {
    Run r =
        verify(
            config("GuestName = g1"),
            "--libvirt-uri=test+unix:///default?socket=" + dir.resolve("nosock"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(FAILED)
        .contains("cannot reach libvirtd at test+unix:///default?socket=" + dir.resolve("nosock"))
        .contains("start libvirtd (systemctl start libvirtd)");
  }

  @Test
  void aMigrationUriTemplateWithoutTheHostFails() throws Exception {
    Run r = verify(config("GuestName = g1"), "--migrate-uri=qemu:///system");
    assertThat(r.out())
        .contains("the migration URI of hv2 is not usable: qemu:///system (it names no host")
        .contains("put %h in the template");
  }

  @Test
  void badDrOptsFail() throws Exception {
    Run r =
        verify(
            config(
                "GuestName = g1\n  DROpts = { ConfigureNetwork = 1, IPAddress = \"10.0.0.5\","
                    + " Netmask = \"24\", Gateway = \"10.9.0.1\" }"));
    assertThat(r.out())
        .isEqualTo(
            FAILED
                + "DROpts is not usable: DROpts.Gateway 10.9.0.1 is outside the subnet 10.0.0.0/24;"
                + " fix those DROpts keys (or set ConfigureNetwork = 0)\n");
  }

  @Test
  void jsonGivesTheSameFacts() throws Exception {
    Files.delete(disk);
    Run r = verify(config("GuestName = g1"), "--json");
    assertThat(r.exit()).isEqualTo(1);
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.path("resource").asText()).isEqualTo("res");
    assertThat(j.path("environment").asText()).isEqualTo("KVM");
    assertThat(j.path("passed").asBoolean()).isFalse();
    assertThat(j.path("message").asText()).isEqualTo(FAILED.strip());
    assertThat(j.path("checks").findValuesAsText("name"))
        .containsExactly("libvirtd", "guest", "disks", "migration-uri", "qemu-watch");
    assertThat(j.path("checks").get(4).path("detail").asText())
        .as("the test driver has no qemu to watch")
        .startsWith("qemu watch off (not a local QEMU)");
    JsonNode disks = j.path("checks").get(2);
    assertThat(disks.path("passed").asBoolean()).isFalse();
    assertThat(disks.path("fix").asText()).startsWith("make the guest's storage available");
  }

  @Test
  void usageAndConfigurationErrorsExitTwo() throws Exception {
    Path main = config("GuestName = g1");
    StringWriter err = new StringWriter();
    CommandLine cl = HavirtVerify.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    assertThat(cl.execute("ghost", "-c", main.toString(), "--sys", "n1")).isEqualTo(2);
    assertThat(err.toString()).contains("no resource named 'ghost'");
    Files.writeString(main, "KVMGuest res ( GuestName = \n");
    assertThat(verify(main).exit()).isEqualTo(2);
    assertThat(HavirtVerify.commandLine().execute()).isEqualTo(2);
  }

  @Test
  void theInstalledToolPrintsAndWritesTheEngineLog() throws Exception {
    Path tool =
        Path.of("..", "packaging", "target", "havirt", "bin", "havirtverify")
            .toAbsolutePath()
            .normalize();
    Files.delete(disk);
    ProcessBuilder pb =
        new ProcessBuilder(
                tool.toString(),
                "res",
                "-c",
                config("GuestName = g1").toString(),
                "--sys",
                "n1",
                "--libvirt-uri",
                libvirtd.uri())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(out).startsWith(FAILED).contains("disk sources not visible");
    assertThat(Files.readString(dir.resolve("log/engine_A.log")))
        .containsPattern(
            "\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} havirtverify WARN H-\\d-\\d{5} environment"
                + " validation failed resource=res check=disks problem=disk sources not visible");
  }
}
