package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.FullDisk;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lab's "ioerror-agent-down" bug, on one node: a booted {@link TestGuest} pauses on an I/O
 * error ({@link FullDisk}) while no agent runs, then the agent starts. A stop must never answer
 * success while the paused qemu is still here, and nothing may leave two qemus.
 */
class AgentPausedWhileDownIT {
  static final Duration T = Duration.ofSeconds(120);
  static final String PAUSED = "paused (I/O error)";
  static final String DESTROYED = "shut off (destroyed)";
  @TempDir static Path root;
  static PrivateLibvirtd q;
  static TestGuest guest;

  @BeforeAll
  static void start() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    guest = TestGuest.get(); // missing packages fail here, they never skip
    q = PrivateLibvirtd.qemu(root.resolve("q"), "0a0a0a0a-0000-4000-8000-0000000000f3");
  }

  @AfterAll
  static void stop() throws Exception {
    if (q != null) {
      q.close();
    }
  }

  /** Defines and starts {@code name} with no agent running; returns once it is paused. */
  private static void pausedWithNoAgent(String name) throws Exception {
    Path image = FullDisk.create(q, name, 512, 64);
    TestGuest.Domain d =
        guest.domain(name, root.resolve(name + ".console")).disk(image).writeOnBoot("/dev/vda", 8);
    q.virsh("define", d.writeXml(root.resolve(name + ".xml")).toString());
    q.virsh("start", name);
    assertThat(awaitDomstate(name, PAUSED, TestGuest.BOOT_TIMEOUT.plusSeconds(60)))
        .as("the guest paused on its failed write")
        .isEqualTo(PAUSED);
  }

  /** The agent, started now, managing {@code name} as resource {@code res}. */
  private static AgentDaemon agentFor(String name, String extra) throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    Path main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system q ( )\ngroup g ( SystemList = { q = 0 } )\n"
            + "KVMGuest res ( GuestName = "
            + name
            + "\n  DelayAfterGuestOnline = 0\n  DelayAfterGuestOffline = 60\n"
            + extra
            + " )\n");
    return TestDaemons.start(
        main,
        "q",
        dir.resolve("agent.sock"),
        TestDaemons.me(),
        Map.of("libvirt.uri", q.uri(), "state.dir", dir.resolve("state").toString()));
  }

  private static JsonNode status(JsonNode reply) {
    return reply.path("status");
  }

  @Test
  void theFirstProbeDestroysTheGuestAndAStopThenSucceeds() throws Exception {
    pausedWithNoAgent("found");
    try (AgentDaemon daemon = agentFor("found", "");
        EngineClient e = new EngineClient(root.resolve("found/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      // The engine's probe may share the agent's own first monitor: then it hears the truth of
      // that moment, OFFLINE with the qemu still here, while the clean it decided runs.
      JsonNode probe = e.call("monitor", T, "resource", "res");
      assertThat(status(probe).path("state").asText()).as(probe.toString()).isEqualTo("OFFLINE");
      if (status(probe).path("guestActive").asBoolean()) {
        assertThat(status(probe).path("busy").asText()).as(probe.toString()).isEqualTo("clean");
      }
      // A monitor runs after that clean: the guest is gone and the resource FAULTED.
      probe = e.call("monitor", T, "resource", "res");
      assertThat(status(probe).path("state").asText()).as(probe.toString()).isEqualTo("OFFLINE");
      assertThat(status(probe).path("guestActive").asBoolean()).as(probe.toString()).isFalse();
      assertThat(status(probe).path("flag").asText()).as(probe.toString()).isEqualTo("FAULTED");
      assertThat(q.virsh("domstate", "--reason", "found").trim()).isEqualTo(DESTROYED);
      JsonNode off = e.call("offline", T, "resource", "res");
      assertThat(off.path("exec").asText()).as(off.toString()).isEqualTo("done");
      assertThat(status(off).path("state").asText()).isEqualTo("OFFLINE");
      assertThat(status(off).path("guestActive").asBoolean()).isFalse();
    }
  }

  @Test
  void aStopOfAGuestStillPausedHereDestroysItBeforeAnswering() throws Exception {
    pausedWithNoAgent("stopped");
    // ToleranceLimit holds the agent's own clean back, so the engine's stop meets the paused qemu.
    try (AgentDaemon daemon = agentFor("stopped", "  ToleranceLimit = 5\n");
        EngineClient e = new EngineClient(root.resolve("stopped/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      JsonNode probe = e.call("monitor", T, "resource", "res");
      assertThat(status(probe).path("state").asText()).as(probe.toString()).isEqualTo("OFFLINE");
      assertThat(status(probe).path("guestActive").asBoolean())
          .as("OFFLINE, but not stopped: " + probe)
          .isTrue();
      assertThat(q.virsh("domstate", "--reason", "stopped").trim()).isEqualTo(PAUSED);
      long began = System.nanoTime();
      JsonNode off = e.call("offline", T, "resource", "res");
      double s = (System.nanoTime() - began) / 1e9;
      assertThat(q.virsh("domstate", "--reason", "stopped").trim())
          .as("destroyed before the stop answered: " + off)
          .isEqualTo(DESTROYED);
      assertThat(off.path("exec").asText()).as(off.toString()).isEqualTo("done");
      assertThat(status(off).path("state").asText()).isEqualTo("OFFLINE");
      assertThat(status(off).path("guestActive").asBoolean()).isFalse();
      assertThat(s).as("no wait for a shutdown that cannot happen").isLessThan(30.0);
      System.out.printf("offline of a guest paused on an I/O error: %.1f s%n", s);
    }
  }

  @Test
  void withFailoverOnIoError0AStopEndsInADestroyWithoutWaitingForAShutdown() throws Exception {
    pausedWithNoAgent("kept");
    try (AgentDaemon daemon = agentFor("kept", "  FailoverOnIOError = 0\n");
        EngineClient e = new EngineClient(root.resolve("kept/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      JsonNode probe = e.call("monitor", T, "resource", "res");
      assertThat(status(probe).path("state").asText()).as(probe.toString()).isEqualTo("ONLINE");
      assertThat(status(probe).path("confidence").asInt()).isEqualTo(20);
      e.call("subscribe", T);
      long began = System.nanoTime();
      JsonNode off = e.call("offline", T, "resource", "res");
      // A paused guest cannot act on a shutdown (libvirt refuses it): no shutdown is requested,
      // the first monitor finds the offline ineffective, which the agent answers (still ONLINE)
      // and then cleans, without waiting DelayAfterGuestOffline (60 s) for nothing.
      assertThat(status(off).path("state").asText()).as(off.toString()).isEqualTo("ONLINE");
      JsonNode gone = e.awaitEvent("res", "OFFLINE", T);
      double s = (System.nanoTime() - began) / 1e9;
      assertThat(gone).as("cleaned after the ineffective offline").isNotNull();
      assertThat(q.virsh("domstate", "--reason", "kept").trim()).isEqualTo(DESTROYED);
      assertThat(s).as("no wait for a shutdown that cannot happen").isLessThan(30.0);
      System.out.printf("offline to OFFLINE of a paused guest, FailoverOnIOError=0: %.1f s%n", s);
    }
  }

  @Test
  void anOnlineOfAGuestPausedHereFailsPromptlyAndLeavesNoQemu() throws Exception {
    pausedWithNoAgent("again");
    try (AgentDaemon daemon = agentFor("again", "  ToleranceLimit = 5\n");
        EngineClient e = new EngineClient(root.resolve("again/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      e.call("subscribe", T);
      JsonNode on = e.call("online", T, "resource", "res");
      assertThat(status(on).path("state").asText()).as(on.toString()).isNotEqualTo("ONLINE");
      JsonNode faulted =
          e.await(n -> n.has("event") && n.path("flag").asText().equals("FAULTED"), T);
      assertThat(faulted).as("cleaned at the first monitor, then FAULTED").isNotNull();
      assertThat(q.virsh("domstate", "--reason", "again").trim()).isEqualTo(DESTROYED);
      assertThat(q.virsh("list", "--name").trim()).as("no qemu left running").isEmpty();
    }
  }

  @Test
  void theOcfProbeFailsAndTheOcfStopDestroysTheGuest() throws Exception {
    pausedWithNoAgent("ocf");
    try (AgentDaemon daemon = agentFor("ocf", "  ToleranceLimit = 5\n")) {
      assertThat(daemon.managed()).isEqualTo(1);
      // 7 would tell Pacemaker nothing is here, and it would start the guest on another node
      // while this qemu holds it; 1 makes it stop the guest here first.
      Ocf probe = ocf("ocf", "monitor");
      assertThat(probe.exit()).as(probe.out()).isEqualTo(1);
      assertThat(q.virsh("domstate", "--reason", "ocf").trim()).isEqualTo(PAUSED);
      // The VCS-style monitor likewise: 100 (OFFLINE) would let VCS count an offline as done
      // and start the guest elsewhere; 99 (UNKNOWN) until the qemu is gone (review finding).
      Ocf vcs = vcsMonitor("ocf");
      assertThat(vcs.exit()).as(vcs.out()).isEqualTo(99);
      assertThat(q.virsh("domstate", "--reason", "ocf").trim()).isEqualTo(PAUSED);
      Ocf stop = ocf("ocf", "stop");
      assertThat(stop.exit()).as(stop.out()).isZero();
      assertThat(q.virsh("domstate", "--reason", "ocf").trim())
          .as("destroyed before the stop answered 0")
          .isEqualTo(DESTROYED);
      Ocf after = ocf("ocf", "monitor");
      assertThat(after.exit()).as(after.out()).isEqualTo(7);
    }
  }

  record Ocf(int exit, String out) {}

  /** Runs the VCS-style monitor entry point for resource res, with main.cf's attributes. */
  private static Ocf vcsMonitor(String name) throws Exception {
    Path ep =
        Path.of("..", "packaging", "target", "havirt", "vcs", "KVMGuest", "monitor")
            .toAbsolutePath()
            .normalize();
    ProcessBuilder pb =
        new ProcessBuilder(
                ep.toString(),
                "res",
                "GuestName",
                "1",
                name,
                "DelayAfterGuestOnline",
                "1",
                "0",
                "DelayAfterGuestOffline",
                "1",
                "60",
                "ToleranceLimit",
                "1",
                "5")
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("HAVIRT_SOCKET", root.resolve(name + "/agent.sock").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Ocf(p.exitValue(), out);
  }

  /** Runs ocf:havirt:KVMGuest {@code action} for resource res on guest {@code name}. */
  private static Ocf ocf(String name, String action) throws Exception {
    Path ra = Path.of("..", "packaging", "target", "havirt", "ocf", "KVMGuest").toAbsolutePath();
    ProcessBuilder pb =
        new ProcessBuilder(ra.normalize().toString(), action)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> env = pb.environment();
    env.put("OCF_ROOT", "/usr/lib/ocf");
    env.put("OCF_RESOURCE_INSTANCE", "res");
    env.put("OCF_RESKEY_GuestName", name);
    env.put("OCF_RESKEY_peers", "hvB");
    env.put("OCF_RESKEY_CRM_meta_interval", "0");
    env.put("OCF_RESKEY_CRM_meta_timeout", "120000");
    env.put("OCF_RESKEY_socket", root.resolve(name + "/agent.sock").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return new Ocf(p.exitValue(), out);
  }

  private static String awaitDomstate(String name, String wanted, Duration within)
      throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    String s = q.virsh("domstate", "--reason", name).trim();
    while (!s.equals(wanted) && System.nanoTime() < deadline) {
      Thread.sleep(200); // polling libvirt itself: the pause is what we wait for
      s = q.virsh("domstate", "--reason", name).trim();
    }
    return s;
  }
}
