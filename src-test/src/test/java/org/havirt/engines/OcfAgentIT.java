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

  /** Runs {@code action} for resource {@code instance} of guest {@code guest} (issue 14.3). */
  Run on(String instance, String guest, String action, String... extraEnv)
      throws IOException, InterruptedException {
    String[] all = new String[extraEnv.length + 6];
    all[0] = "OCF_RESOURCE_INSTANCE";
    all[1] = instance;
    all[2] = "OCF_RESKEY_GuestName";
    all[3] = guest;
    all[4] = "OCF_RESKEY_CRM_meta_timeout";
    all[5] = "20000";
    System.arraycopy(extraEnv, 0, all, 6, extraEnv.length);
    return action(action, all);
  }

  @Test
  void aGuestCertainlyNotHereIsNotRunningToAProbeAndStopped() throws Exception {
    String probe = "OCF_RESKEY_CRM_meta_interval";
    // Not defined in libvirtd, and its GuestConfigFilePath does not exist on this node (shared
    // storage not mounted here): as VirtualDomain, a probe says "not running", not an error.
    String[] missing = {
      "OCF_RESKEY_GuestConfigFilePath", dir.resolve("shared/ghost.xml").toString()
    };
    Run first = on("ghost1", "ghost", "monitor", concat(missing, probe, "0"));
    assertThat(first.exit()).as(first.out()).isEqualTo(7);
    Run recurring = on("ghost1", "ghost", "monitor", concat(missing, probe, "10000"));
    assertThat(recurring.exit()).as("gone for good: recovered: " + recurring.out()).isEqualTo(7);
    Run stop = on("ghost1", "ghost", "stop", concat(missing, probe, "0"));
    assertThat(stop.exit()).as("nothing to stop: " + stop.out()).isZero();
    Run start = on("ghost1", "ghost", "start", missing);
    // 5 bans this node only; 6 would forbid the guest on every node, though others have it.
    assertThat(start.exit()).as("nothing to start from here: " + start.out()).isEqualTo(5);
    // SyncDir set, but no ghost.xml in it; and no file attribute at all.
    Path sync = Files.createDirectories(dir.resolve("sync"));
    Run synced =
        on("ghost2", "ghost", "monitor", "OCF_RESKEY_SyncDir", sync.toString(), probe, "0");
    assertThat(synced.exit()).as(synced.out()).isEqualTo(7);
    Run bare = on("ghost3", "ghost", "monitor", probe, "0");
    assertThat(bare.exit()).as(bare.out()).isEqualTo(7);
    // A defined, shut-off guest: not running (as before).
    assertThat(on("vm1", "g1", "monitor", probe, "0").exit()).isEqualTo(7);
  }

  @Test
  void aProbeSaysNotRunningOnlyWhenCertain() throws Exception {
    String probe = "OCF_RESKEY_CRM_meta_interval";
    // A definition file that is there but not usable: a misconfiguration, not "not here".
    Path garbage = Files.writeString(dir.resolve("ghost-bad.xml"), "<domain><nam");
    Run invalid =
        on(
            "bad1",
            "ghost",
            "monitor",
            "OCF_RESKEY_GuestConfigFilePath",
            garbage.toString(),
            probe,
            "0");
    assertThat(invalid.exit()).as(invalid.out()).isEqualTo(1);
    assertThat(
            on("bad1", "ghost", "stop", "OCF_RESKEY_GuestConfigFilePath", garbage.toString())
                .exit())
        .isEqualTo(1);
    // Unreadable (a directory where the file should be: root reads any file).
    Path unreadable = Files.createDirectories(dir.resolve("ghost-dir.xml"));
    Run dirRun =
        on(
            "bad2",
            "ghost",
            "monitor",
            "OCF_RESKEY_GuestConfigFilePath",
            unreadable.toString(),
            probe,
            "0");
    assertThat(dirRun.exit()).as(dirRun.out()).isEqualTo(1);
    // Absent, but another check fails too (a bad attribute): every other failure stays 1.
    Run alsoBad =
        on("bad3", "ghost", "monitor", "OCF_RESKEY_DROpts", "ConfigureNetwork=1", probe, "0");
    assertThat(alsoBad.exit()).as(alsoBad.out()).isEqualTo(1);
    // libvirtd is gone: nobody could ask it, so neither "not running" nor "stopped".
    assertThat(on("ghost4", "ghost", "monitor", probe, "0").exit()).isEqualTo(7);
    libvirtd.kill();
    String[] missing = {
      "OCF_RESKEY_GuestConfigFilePath", dir.resolve("shared/ghost.xml").toString()
    };
    for (String instance : List.of("ghost4", "ghost5")) {
      Run p = on(instance, "ghost", "monitor", concat(missing, probe, "0"));
      assertThat(p.exit()).as(instance + " probe: " + p.out()).isEqualTo(1);
      Run s = on(instance, "ghost", "stop", missing);
      assertThat(s.exit()).as(instance + " stop: " + s.out()).isEqualTo(1);
    }
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
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
