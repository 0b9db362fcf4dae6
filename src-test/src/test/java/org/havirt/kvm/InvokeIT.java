package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/havirt invoke} from the built distribution, against a private test-driver libvirtd.
 */
class InvokeIT {
  static final Path HAVIRT =
      Path.of("..", "packaging", "target", "havirt", "bin", "havirt").toAbsolutePath().normalize();
  @TempDir static Path dir;
  static PrivateLibvirtd daemon;
  static Path main;

  record Run(int exit, String out) {}

  @BeforeAll
  static void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    daemon = PrivateLibvirtd.testDriver(dir.resolve("tdrv"));
    Files.writeString(dir.resolve("inv.xml"), Guests.testXml("inv"));
    Files.createDirectories(dir.resolve("sync"));
    main = dir.resolve("main.cf");
    Files.writeString(
        main,
        String.join(
            "\n",
            "group g ( SystemList = { n1 = 0 } )",
            "KVMGuest res ( GuestName = inv",
            "    GuestConfigFilePath = \"" + dir.resolve("inv.xml") + "\"",
            "    SyncDir = \"" + dir.resolve("sync") + "\"",
            "    DelayAfterGuestOnline = 3 )",
            ""));
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (daemon != null) {
      daemon.close();
    }
  }

  static Run invoke(String uri, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(HAVIRT.toString(), "invoke"));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-c", main.toString(), "--sys", "n1"));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("HAVIRT_LIBVIRT_URI", uri);
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void entryPointsExitWithVcsScriptCodes() throws Exception {
    String uri = daemon.uri();
    assertThat(invoke(uri, "monitor", "res"))
        .isEqualTo(new Run(100, "monitor res: OFFLINE libvirt: not defined on this host\n"));
    assertThat(invoke(uri, "online", "res"))
        .isEqualTo(
            new Run(
                3, "online res: DONE guest inv started (or already running) (monitor in 3 s)\n"));
    assertThat(invoke(uri, "monitor", "res"))
        .isEqualTo(new Run(110, "monitor res: ONLINE(100) libvirt: running (booted)\n"));
    daemon.virsh("suspend", "inv");
    assertThat(invoke(uri, "monitor", "res").exit()).isEqualTo(102);
    daemon.virsh("resume", "inv");
    Run sync = invoke(uri, "action", "res", "vmconfigsync");
    assertThat(sync.exit()).isZero();
    assertThat(sync.out())
        .contains("configuration")
        .contains(dir.resolve("sync/inv.xml").toString());
    daemon.virsh("managedsave", "inv");
    assertThat(invoke(uri, "monitor", "res").exit()).isEqualTo(200);
    assertThat(invoke(uri, "clean", "res", "--reason", "4"))
        .isEqualTo(new Run(0, "clean res: DONE guest inv destroyed (unexpected offline)\n"));
    assertThat(invoke(uri, "offline", "res").exit()).isZero();
    assertThat(invoke(uri, "action", "res", "nope").exit()).isEqualTo(1);
  }

  @Test
  void anUnreachableLibvirtdIsUnknownAndUsageErrorsExitTwo() throws Exception {
    Run r = invoke("test+unix:///default?socket=" + dir.resolve("nowhere/sock"), "monitor", "res");
    assertThat(r.exit()).isEqualTo(99);
    assertThat(r.out())
        .startsWith("monitor res: UNKNOWN libvirt: libvirt at test+unix:///default?socket=");
    assertThat(invoke(daemon.uri(), "monitor", "ghost").exit()).isEqualTo(2);
    assertThat(invoke(daemon.uri(), "teleport", "res").exit()).isEqualTo(2);
    assertThat(invoke(daemon.uri(), "migrate", "res").exit()).isEqualTo(2);
  }
}
