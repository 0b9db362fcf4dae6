package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.PasswordCipher;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code RhevBackend.controlTrouble} against the simulator over HTTPS (spec §6,
 * FaultOnMonitorTimeouts): a monitor of a RHEV VM reads RHEV-M's shared listing, so any failed,
 * slow or overdue request to that RHEV-M explains a monitor timeout; health is reported only when
 * it answered throughout.
 */
class RhevControlTroubleIT {
  static final Duration WINDOW = Duration.ofSeconds(2);
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevBackend backend;
  ResourceAgent agent;
  GuestSpec g;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir, 0, "admin@internal", "s3cret!");
    sim.model.addCluster("prod");
    sim.model.addHost("h1", "prod");
    sim.model.addVm("vm1", "prod");
    PasswordCipher cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend =
        new RhevBackend(
            new VmBackendFactory.Settings(
                Map.of(
                    "rhev.host",
                    "h1",
                    "key.file",
                    dir.resolve("havirt.key").toString(),
                    // The events feed is polled once, at the start: its requests are the
                    // monitor's neighbours, not what these tests look at.
                    "rhev.events.poll.ms",
                    "3600000")));
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
    g =
        new GuestSpec(
            "res_vm1",
            Map.of(
                "GuestName",
                new AttributeValue.Scalar("vm1"),
                "RHEVMInfo",
                new AttributeValue.Association(sim.rhevmInfo(cipher.encrypt("s3cret!"), "prod")),
                "MonitorTimeout",
                new AttributeValue.Scalar("10"),
                "MonitorInterval",
                new AttributeValue.Scalar("1")));
    sim.faultsOnlyOn = "/vms"; // faults hit the monitor's listing, not the events feed
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
  }

  Optional<String> trouble(Duration window) {
    return backend.controlTrouble(g, window, Deadline.in(Duration.ofSeconds(5)));
  }

  /**
   * Monitors once, then waits until RHEV-M has answered throughout a window: the feed's first poll
   * and a first listing slowed by a loaded machine are out of the way.
   */
  void settle() {
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
    Optional<String> t = trouble(WINDOW);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (t.isPresent() && System.nanoTime() < deadline) {
      t = trouble(WINDOW);
    }
    assertThat(t).as("RHEV-M settled").isEmpty();
  }

  @Test
  void rhevmThatAnsweredThroughoutIsHealthy() {
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(trouble(Duration.ofSeconds(30))).isEmpty();
  }

  @Test
  void withNoRequestInTheWindowAFreshProbeDecides() {
    long before = sim.requests.get();
    assertThat(trouble(WINDOW)).as("RHEV-M answers the probe").isEmpty();
    assertThat(sim.requests.get()).as("a probe was made").isGreaterThan(before);
    sim.close();
    try (RhevBackend fresh =
        new RhevBackend(
            new VmBackendFactory.Settings(
                Map.of("rhev.host", "h1", "key.file", dir.resolve("havirt.key").toString())))) {
      Optional<String> t = fresh.controlTrouble(g, WINDOW, Deadline.in(Duration.ofSeconds(5)));
      assertThat(t).as("a probe RHEV-M does not answer").isPresent();
      assertThat(t.get()).contains("unreachable");
    }
  }

  @Test
  void rhevmRefusingWhatItIsAskedIsAnAnswerNotTrouble() {
    sim.model.hostByName("h1").orElseThrow().status = "maintenance";
    EntryResult refused = agent.online(g);
    assertThat(refused.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(refused.reason()).contains("Cannot run VM").contains("409");
    assertThat(trouble(Duration.ofSeconds(30))).isEmpty();
  }

  @Test
  void anUntrustedCertificateIsTrouble() {
    Map<String, org.havirt.types.backend.AttributeValue> attrs =
        new java.util.HashMap<>(g.attributes());
    Map<String, String> info = new java.util.HashMap<>(g.association("RHEVMInfo"));
    info.remove("CAFile");
    attrs.put("RHEVMInfo", new AttributeValue.Association(info));
    g = new GuestSpec(g.resource(), attrs);
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    Optional<String> t = trouble(Duration.ofSeconds(30));
    assertThat(t).isPresent();
    assertThat(t.get()).contains("not trusted");
  }

  @Test
  void aFailedListingIsTrouble() {
    sim.fail5xx.set(1);
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    Optional<String> t = trouble(Duration.ofSeconds(30));
    assertThat(t).isPresent();
    assertThat(t.get()).contains("503");
    assertThat(agent.monitor(g).state().orElseThrow().state())
        .as("answered again")
        .isEqualTo(ResourceState.OFFLINE);
    assertThat(trouble(Duration.ofSeconds(30)))
        .as("the failure is still in the window")
        .isPresent();
  }

  @Test
  void aListingSlowerThanHalfTheWindowIsTrouble() {
    settle();
    sim.latencyMillis = 1500;
    EntryResult slow = agent.monitor(g);
    assertThat(slow.exec()).as(slow.reason()).isEqualTo(ExecStatus.DONE);
    Optional<String> t = trouble(WINDOW);
    assertThat(t).isPresent();
    assertThat(t.get()).contains("GET vms took 1.");
  }

  @Test
  void anUnreachableRhevmIsTrouble() {
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
    sim.close();
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    Optional<String> t = trouble(Duration.ofSeconds(30));
    assertThat(t).isPresent();
    assertThat(t.get()).contains("unreachable");
  }

  @Test
  void aRequestInFlightPastHalfTheWindowIsTrouble() throws Exception {
    settle();
    sim.latencyMillis = 8000;
    CompletableFuture<EntryResult> hung = CompletableFuture.supplyAsync(() -> agent.monitor(g));
    Optional<String> t = trouble(WINDOW);
    long deadline = System.nanoTime() + 6_000_000_000L;
    while (t.isEmpty() && System.nanoTime() < deadline) {
      t = trouble(WINDOW); // healthy until the listing has been in flight for half the window
    }
    assertThat(t).isPresent();
    assertThat(t.get()).contains("GET vms has been in flight for 1.");
    sim.latencyMillis = 0;
    hung.get();
  }
}
