package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.agent.AgentDaemon;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VCS-style entry-point scripts, fed argument vectors exactly as a VCS script framework builds
 * them (resource name, [clean reason], ArgList tuples, AEPTimeout), against a running agent.
 */
class VcsScriptsIT {
  static final Path DIR =
      Path.of("..", "packaging", "target", "havirt", "vcs", "KVMGuest")
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
    env = new AgentWithGuest(dir, "n1", Map.of());
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

  /** The ArgList of the shipped KVMGuest type, in order, as V50+ tuples, then AEPTimeout. */
  static List<String> argList(String guest, int timeout) {
    return List.of(
        "GuestName",
        "1",
        guest,
        "DelayAfterGuestOnline",
        "1",
        "0",
        "DelayAfterGuestOffline",
        "1",
        "1",
        "SyncDir",
        "1",
        "",
        "GuestConfigFilePath",
        "1",
        "",
        "CEInfo",
        "6",
        "Enabled",
        "0",
        "CESystem",
        "NONE",
        "FaultOnHBLoss",
        "1",
        "RHEVMInfo",
        "12",
        "Enabled",
        "0",
        "URL",
        "NONE",
        "User",
        "NONE",
        "Password",
        "NONE",
        "Cluster",
        "NONE",
        "UseManualRHEVMFencing",
        "0",
        "ResyncVMCfg",
        "1",
        "0",
        "DROpts",
        "14",
        "ConfigureNetwork",
        "0",
        "IPAddress",
        "NONE",
        "Netmask",
        "NONE",
        "Gateway",
        "NONE",
        "DNSServers",
        "NONE",
        "DNSSearchPath",
        "NONE",
        "Device",
        "NONE",
        "AEPTimeout",
        "1",
        Integer.toString(timeout));
  }

  Run ep(String script, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(DIR.resolve(script).toString());
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("HAVIRT_SOCKET", socket.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  static List<String> with(String first, List<String> rest) {
    List<String> l = new ArrayList<>(List.of(first));
    l.addAll(rest);
    return l;
  }

  @Test
  void theLifeOfAResourceWithVcsExitCodes() throws Exception {
    List<String> args = with("vm1", argList("g1", 60));
    assertThat(ep("open", args).exit()).isZero();
    assertThat(ep("monitor", args).exit()).as("OFFLINE").isEqualTo(100);
    Run online = ep("online", args);
    assertThat(online.exit()).as(online.out()).isZero();
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("running");
    assertThat(ep("monitor", args).exit()).as("ONLINE, confidence 100").isEqualTo(110);

    Run devscan = ep("actions/DevScan", args);
    assertThat(devscan.exit()).as(devscan.out()).isZero();
    assertThat(devscan.out()).contains("has no disks");

    assertThat(ep("attr_changed", List.of("vm1", "vm1", "DelayAfterGuestOnline", "3")).exit())
        .isZero();

    List<String> clean = new ArrayList<>(List.of("vm1", "4"));
    clean.addAll(argList("g1", 60));
    assertThat(ep("clean", clean).exit()).isZero();
    assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("shut off");
    assertThat(ep("monitor", args).exit()).isEqualTo(100);

    List<String> migrate = new ArrayList<>(args);
    migrate.addAll(List.of("VCSInfo", "2", "TargetHost", "n2"));
    assertThat(ep("migrate", migrate).exit()).as("nothing running to migrate").isEqualTo(255);

    assertThat(ep("close", args).exit()).isZero();
    assertThat(daemon.agent().status(Optional.empty()).join()).isEmpty();
  }

  @Test
  void badArgumentsAndADownAgentGiveTheSafeCodes() throws Exception {
    List<String> bad = List.of("vm1", "GuestName", "3", "g1");
    assertThat(ep("monitor", bad).exit()).as("UNKNOWN").isEqualTo(99);
    assertThat(ep("clean", List.of("vm1", "GuestName", "1", "g1")).exit())
        .as("no clean reason: failure")
        .isEqualTo(1);
    env.stopAgent();
    Run down = ep("monitor", with("vm1", argList("g1", 10)));
    assertThat(down.exit()).isEqualTo(99);
    assertThat(down.out()).contains("cannot reach the havirt agent");
    assertThat(ep("clean", with("vm1", with("4", argList("g1", 10)))).exit()).isEqualTo(1);
  }
}
