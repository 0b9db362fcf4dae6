package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.agent.AgentDaemon;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCF resource agent ocf:havirt:KVMGuest against a running havirt agent and a private
 * test-driver libvirtd: Debian's ocf-tester, then the cases it does not cover.
 */
class OcfAgentIT {
  static final Path RA =
      Path.of("..", "packaging", "target", "havirt", "ocf", "KVMGuest")
          .toAbsolutePath()
          .normalize();
  @TempDir Path dir;
  AgentWithGuest env;
  PrivateLibvirtd libvirtd;
  AgentDaemon daemon;
  Path socket;

  record Run(int exit, String out) {}

  @BeforeEach
  void setUp() throws Exception {
    env =
        new AgentWithGuest(
            dir,
            "hvA",
            Map.of("migrate.uri", "test+unix:///default?socket=" + dir.resolve("peers/%h/sock")));
    libvirtd = env.libvirtd;
    socket = env.socket;
    daemon = env.daemon;
  }

  @AfterEach
  void tearDown() throws IOException {
    if (env != null) {
      env.close();
    }
  }

  Run run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  Map<String, String> base() {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("OCF_ROOT", "/usr/lib/ocf");
    env.put("OCF_RESOURCE_INSTANCE", "vm1");
    env.put("OCF_RESKEY_GuestName", "g1");
    env.put("OCF_RESKEY_DelayAfterGuestOnline", "0");
    env.put("OCF_RESKEY_DelayAfterGuestOffline", "1");
    env.put("OCF_RESKEY_peers", "hvB");
    env.put("OCF_RESKEY_socket", socket.toString());
    return env;
  }

  Run action(String action, String... extraEnv) throws IOException, InterruptedException {
    Map<String, String> env = base();
    for (int i = 0; i < extraEnv.length; i += 2) {
      env.put(extraEnv[i], extraEnv[i + 1]);
    }
    return run(env, RA.toString(), action);
  }

  @Test
  void passesOcfTester() throws Exception {
    Path tester = Path.of("/usr/sbin/ocf-tester");
    assumeTrue(
        Files.isExecutable(tester),
        "ocf-tester is missing: apt-get install resource-agents (src-test/run-tests.sh does)");
    List<String> cmd = new ArrayList<>(List.of(tester.toString(), "-v", "-n", "vm1"));
    for (String o :
        List.of(
            "GuestName=g1",
            "DelayAfterGuestOnline=0",
            "DelayAfterGuestOffline=1",
            "peers=hvB",
            "socket=" + socket)) {
      cmd.add("-o");
      cmd.add(o);
    }
    cmd.add(RA.toString());
    Run r = run(Map.of(), cmd.toArray(String[]::new));
    assertThat(r.out()).as(r.out()).contains(RA + " passed all tests");
    assertThat(r.exit()).isZero();
  }

  @Test
  void anAgentRestartDuringAMonitorIsInvisibleAndAnAbsentAgentIsNeverNotInstalled()
      throws Exception {
    assertThat(action("start").exit()).isZero();
    // The agent restarts (kill, upgrade): back 1.5 s later on the same socket. A recurring
    // monitor issued in the gap waits for it and answers the truth, not an error.
    env.stopAgent();
    Map<String, String> env1 = new java.util.HashMap<>(base());
    env1.put("OCF_RESKEY_CRM_meta_interval", "5000");
    env1.put("OCF_RESKEY_CRM_meta_timeout", "20000");
    Process monitor = WrapperRestartIT.launch(env1, RA.toString(), "monitor");
    boolean waiting = WrapperRestartIT.awaitBackoff(monitor);
    env.startAgent(); // back, as systemd restarts it
    WrapperRestartIT.Run during = WrapperRestartIT.finish(monitor);
    assertThat(waiting).as("it waited for the agent: " + during.out()).isTrue();
    assertThat(during.exit()).as(during.out()).isZero();
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("running");
    // Gone for the whole deadline: nobody checked the guest, so every action answers 1 (generic
    // error): never 5 (not installed), never 7 (not running), and a stop never 0.
    env.stopAgent();
    for (String[] a :
        List.of(
            new String[] {"monitor", "OCF_RESKEY_CRM_meta_interval", "0"},
            new String[] {"monitor", "OCF_RESKEY_CRM_meta_interval", "5000"},
            new String[] {"stop", "OCF_RESKEY_CRM_meta_interval", "0"},
            new String[] {"start", "OCF_RESKEY_CRM_meta_interval", "0"})) {
      Run r = action(a[0], a[1], a[2], "OCF_RESKEY_CRM_meta_timeout", "3000");
      assertThat(r.exit()).as(a[0] + " " + a[2] + ": " + r.out()).isEqualTo(1);
      assertThat(r.out()).contains("cannot reach the havirt agent");
    }
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("running");
  }

  @Test
  void startMonitorStopAndTheirCodes() throws Exception {
    assertThat(action("monitor").exit()).as("stopped").isEqualTo(7);
    Run start = action("start");
    assertThat(start.exit()).as(start.out()).isZero();
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("running");
    assertThat(action("monitor").exit()).isZero();
    assertThat(action("start").exit()).as("idempotent").isZero();
    // Out of band: the guest dies. The agent sees it; Pacemaker's monitor says not running.
    libvirtd.virsh("destroy", "g1");
    assertThat(action("monitor").exit()).isEqualTo(7);
    Run restart = action("start");
    assertThat(restart.exit())
        .as("a past fault does not block Pacemaker's start: " + restart.out())
        .isZero();
    Run stop = action("stop", "OCF_RESKEY_force_stop", "true");
    assertThat(stop.exit()).as(stop.out()).isZero();
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("shut off");
    assertThat(action("stop").exit()).as("stopping a stopped guest").isZero();
  }

  @Test
  void validateAllReportsEveryFailedCheck() throws Exception {
    assertThat(action("validate-all").exit()).isZero();
    Run bad = action("validate-all", "OCF_RESKEY_SyncDir", dir.resolve("nosuch").toString());
    assertThat(bad.exit()).isEqualTo(6);
    assertThat(bad.out())
        .contains("Virtualization environment validation failed for resource vm1")
        .contains("SyncDir " + dir.resolve("nosuch") + " is not a directory");
    assertThat(action("validate-all", "OCF_RESKEY_GuestName", "").exit()).isEqualTo(6);
    assertThat(action("start", "OCF_RESKEY_DROpts", "ConfigureNetwork").exit()).isEqualTo(6);
  }

  @Test
  void migrateFromReturnsPromptlyAndMetaDataIsValid() throws Exception {
    action("start");
    long t0 = System.nanoTime();
    Run from = action("migrate_from", "OCF_RESKEY_CRM_meta_migrate_source", "hvB");
    assertThat(from.exit()).as(from.out()).isZero();
    assertThat((System.nanoTime() - t0) / 1_000_000).as("ms").isLessThan(5_000);
    Run meta = action("meta-data");
    assertThat(meta.exit()).isZero();
    assertThat(meta.out())
        .contains("<resource-agent name=\"KVMGuest\"")
        .contains("<parameter name=\"GuestName\" required=\"1\" unique=\"1\">")
        .contains("<action name=\"migrate_to\"");
    assertThat(action("notify").exit()).as("unimplemented").isEqualTo(3);
  }
}
