package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.havirt.testing.GuestConsole;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code offline} through the agent's socket and the KVM backend, on a booted {@link TestGuest}
 * under a private QEMU libvirtd: a guest that honours the ACPI power button shuts itself down, and
 * one that ignores it is destroyed once {@code DelayAfterGuestOffline} has passed.
 */
class AgentGuestOfflineIT {
  static final Duration T = Duration.ofSeconds(120);
  @TempDir static Path root;
  static PrivateLibvirtd q;
  static TestGuest guest;

  @BeforeAll
  static void start() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    guest = TestGuest.get(); // missing packages fail here, they never skip
    q = PrivateLibvirtd.qemu(root.resolve("q"), "0a0a0a0a-0000-4000-8000-0000000000f1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (q != null) {
      q.close();
    }
  }

  /** A daemon managing one resource {@code res} for the (already defined) domain {@code name}. */
  private static AgentDaemon daemon(String name, int delayAfterOffline) throws Exception {
    Path dir = Files.createDirectories(root.resolve(name));
    Path main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system q ( )\ngroup g ( SystemList = { q = 0 } )\n"
            + "KVMGuest res ( GuestName = "
            + name
            + "\n  DelayAfterGuestOnline = 0\n  DelayAfterGuestOffline = "
            + delayAfterOffline
            + " )\n");
    return TestDaemons.start(
        main,
        "q",
        dir.resolve("agent.sock"),
        TestDaemons.me(),
        Map.of("libvirt.uri", q.uri(), "state.dir", dir.resolve("state").toString()));
  }

  private static GuestConsole defineAndBringOnline(TestGuest.Domain d, EngineClient e)
      throws Exception {
    q.virsh("define", d.writeXml(root.resolve(d.name() + ".xml")).toString());
    JsonNode online = e.call("online", T, "resource", "res");
    assertThat(online.path("status").path("state").asText())
        .as(online.toString())
        .isEqualTo("ONLINE");
    GuestConsole console = d.console();
    // Before acpid listens, a power button press would be lost: wait until the guest is up.
    console.awaitLine(TestGuest.READY, TestGuest.BOOT_TIMEOUT);
    return console;
  }

  @Test
  void aGuestThatHonoursAcpiShutsItselfDown() throws Exception {
    TestGuest.Domain d = guest.domain("polite", root.resolve("polite.console"));
    try (AgentDaemon daemon = daemon("polite", 60);
        EngineClient e = new EngineClient(root.resolve("polite/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      GuestConsole console = defineAndBringOnline(d, e);
      long t0 = System.nanoTime();
      JsonNode offline = e.call("offline", T, "resource", "res");
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(offline.path("exec").asText()).as(offline.toString()).isEqualTo("done");
      assertThat(offline.path("status").path("state").asText()).isEqualTo("OFFLINE");
      assertThat(offline.path("status").path("reason").asText())
          .isEqualTo("libvirt: shut off (shutdown)");
      assertThat(took)
          .as("ended by the guest, not by the 60 s delay")
          .isLessThan(Duration.ofSeconds(30));
      console.awaitLine(TestGuest.POWERING_OFF, Duration.ofSeconds(10));
      console.awaitLine("reboot: Power down", Duration.ofSeconds(10));
      assertThat(q.virsh("domstate", "--reason", "polite").trim()).isEqualTo("shut off (shutdown)");
      System.out.printf("graceful offline of a booted guest: %d ms%n", took.toMillis());
    }
  }

  @Test
  void aGuestThatIgnoresAcpiIsDestroyedAfterDelayAfterGuestOffline() throws Exception {
    TestGuest.Domain d = guest.domain("stubborn", root.resolve("stubborn.console")).ignoreAcpi();
    try (AgentDaemon daemon = daemon("stubborn", 5);
        EngineClient e = new EngineClient(root.resolve("stubborn/agent.sock"))) {
      assertThat(daemon.managed()).isEqualTo(1);
      GuestConsole console = defineAndBringOnline(d, e);
      e.call("subscribe", T);
      long t0 = System.nanoTime();
      JsonNode offline = e.call("offline", T, "resource", "res");
      Duration answered = Duration.ofNanos(System.nanoTime() - t0);
      console.awaitLine(TestGuest.ACPI_IGNORED, Duration.ofSeconds(10));
      JsonNode off = e.await(n -> AgentIoErrorIT.isEvent(n, "OFFLINE", "(destroyed)"), T);
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(off).as("OFFLINE event after offline: " + offline).isNotNull();
      assertThat(off.path("reason").asText()).isEqualTo("libvirt: shut off (destroyed)");
      assertThat(q.virsh("domstate", "--reason", "stubborn").trim())
          .isEqualTo("shut off (destroyed)");
      assertThat(answered)
          .as("offline waited DelayAfterGuestOffline for the guest")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
      assertThat(console.hasLine("reboot: Power down")).as("it never shut itself down").isFalse();
      System.out.printf(
          "offline of a guest ignoring ACPI: answered after %d ms, destroyed after %d ms (%s)%n",
          answered.toMillis(), took.toMillis(), offline);
    }
  }
}
