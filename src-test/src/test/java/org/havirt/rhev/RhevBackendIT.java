package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.CleanReason;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
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

/** The RHEV backend against the RHEV-M simulator over real HTTPS. */
class RhevBackendIT {
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevBackend backend;
  ResourceAgent agent;
  SimModel.Host h1;
  SimModel.Host h2;
  PasswordCipher cipher;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir, 0, "admin@internal", "s3cret!");
    sim.model.stepMillis = 300;
    sim.model.addCluster("prod");
    h1 = sim.model.addHost("h1", "prod");
    h2 = sim.model.addHost("h2", "prod");
    sim.model.addVm("vm1", "prod");
    sim.model.addVm("vm2", "prod");
    cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend =
        new RhevBackend(
            new VmBackendFactory.Settings(
                Map.of("rhev.host", "h1", "key.file", dir.resolve("havirt.key").toString())));
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
  }

  GuestSpec spec(String vm, String... rhevmInfo) {
    Map<String, String> info = sim.rhevmInfo(cipher.encrypt("s3cret!"), "prod");
    for (int i = 0; i < rhevmInfo.length; i += 2) {
      info.put(rhevmInfo[i], rhevmInfo[i + 1]);
    }
    info.values().removeIf(v -> v.equals("<unset>"));
    return new GuestSpec(
        "res_" + vm,
        Map.of(
            "GuestName",
            new AttributeValue.Scalar(vm),
            "RHEVMInfo",
            new AttributeValue.Association(info),
            "DelayAfterGuestOffline",
            new AttributeValue.Scalar("10"),
            "MonitorTimeout",
            new AttributeValue.Scalar("2"),
            // A 1 s interval means no listing is reused: every monitor sees RHEV-M as it is now.
            "MonitorInterval",
            new AttributeValue.Scalar("1")));
  }

  MonitorResult monitor(GuestSpec g) {
    return agent.monitor(g).state().orElseThrow();
  }

  MonitorResult awaitConfidence(GuestSpec g, int confidence) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    MonitorResult m = monitor(g);
    while (!(m.state() == ResourceState.ONLINE && m.confidence() == confidence)
        && System.nanoTime() < deadline) {
      Thread.sleep(50); // the simulated VM boots on its own clock; RHEV-M pushes nothing
      m = monitor(g);
    }
    return m;
  }

  @Test
  void onlineWalksThroughTheStatesAndIsIdempotent() throws Exception {
    GuestSpec g = spec("vm1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
    EntryResult on = agent.online(g);
    assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
    MonitorResult first = monitor(g);
    assertThat(first.state()).isEqualTo(ResourceState.ONLINE);
    assertThat(first.confidence()).as("wait_for_launch or powering_up").isIn(10, 60);
    assertThat(awaitConfidence(g, 100)).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    assertThat(agent.online(g).exec()).as("already up here").isEqualTo(ExecStatus.DONE);
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(monitor(g).state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(agent.offline(g).exec()).as("already down").isEqualTo(ExecStatus.DONE);
    agent.online(g);
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
  }

  @Test
  void aVmRunningOnAnotherHostIsNeverStartedHere() throws Exception {
    sim.model.start(sim.model.vmByName("vm2").orElseThrow(), h2);
    GuestSpec g = spec("vm2");
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!sim.model.vmByName("vm2").orElseThrow().status.equals("up")
        && System.nanoTime() < deadline) {
      Thread.sleep(50); // the simulated boot
    }
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("rhev: up on h2"));
    EntryResult r = agent.online(g);
    assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains("is up on host h2; refusing to start a second copy");
    assertThat(agent.action(g, "guestmigrated", List.of()).output())
        .isEqualTo("VM vm2 is up on host h2");
  }

  @Test
  void aCrashedHostLeavesItsVmUnknownAndItIsNotStarted() throws Exception {
    GuestSpec g = spec("vm1");
    agent.online(g);
    awaitConfidence(g, 100);
    sim.model.crashHost(h1);
    assertThat(monitor(g).state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(agent.online(g).reason()).contains("it may still run there");
  }

  @Test
  void manualFencingReleasesAVmFromACrashedHostAndStartsItHere() throws Exception {
    SimModel.Vm vm2 = sim.model.vmByName("vm2").orElseThrow();
    sim.model.start(vm2, h2);
    sim.model.stepMillis = 0;
    sim.model.crashHost(h2);
    GuestSpec g = spec("vm2", "UseManualRHEVMFencing", "1");
    assertThat(monitor(g).state()).isEqualTo(ResourceState.UNKNOWN);
    EntryResult r = agent.online(g);
    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(awaitConfidence(g, 100)).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    assertThat(h2.status).as("fence confirmed").isEqualTo("down");
  }

  @Test
  void withoutManualFencingAnUnknownVmIsNotStartedAndTheReasonSaysWhy() throws Exception {
    SimModel.Vm vm2 = sim.model.vmByName("vm2").orElseThrow();
    sim.model.stepMillis = 0;
    sim.model.start(vm2, h2);
    sim.model.crashHost(h2);
    EntryResult r = agent.online(spec("vm2"));
    assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason())
        .contains("on host h2 (non_responsive)")
        .contains("UseManualRHEVMFencing = 1");
    assertThat(h2.status).as("nothing was fenced").isEqualTo("non_responsive");
  }

  @Test
  void oneListingServesEveryMonitorOfARoundAndEventsSpeedDetectionUp() throws Exception {
    for (int i = 0; i < 50; i++) {
      sim.model.addVm("many" + i, "prod");
    }
    java.util.concurrent.BlockingQueue<String> hints =
        new java.util.concurrent.LinkedBlockingQueue<>();
    backend.subscribe((guest, detail) -> hints.add(String.valueOf(guest)));
    long before = sim.vmListings.get();
    for (int i = 0; i < 50; i++) {
      GuestSpec g = withInterval(spec("many" + i), "60");
      assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
    }
    assertThat(sim.vmListings.get() - before).as("50 monitors, one request").isEqualTo(1);
    // A change made in RHEV-M (say, from its UI) arrives through the events feed, not the interval.
    sim.model.start(sim.model.vmByName("many7").orElseThrow(), h2);
    String hint = null;
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline && !"many7".equals(hint)) {
      hint = hints.poll(1, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(hint).as("an event naming the VM").isEqualTo("many7");
    assertThat(monitor(withInterval(spec("many7"), "60")).state())
        .as("the listing was invalidated")
        .isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
  }

  /**
   * The feed's first poll runs beside the first monitors, so it cannot tell which events of the
   * backlog those monitors already saw: it makes everyone look once more rather than lose one.
   */
  @Test
  void joiningAFeedWithABacklogMakesEveryoneLookAgain() throws Exception {
    sim.model.start(sim.model.vmByName("vm2").orElseThrow(), h2); // events before we start
    java.util.concurrent.BlockingQueue<String> hints =
        new java.util.concurrent.LinkedBlockingQueue<>();
    backend.subscribe((guest, detail) -> hints.add(guest + " " + detail));
    GuestSpec g = withInterval(spec("vm1"), "60");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
    String hint = hints.poll(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(hint).as("one hint for every resource").startsWith("null RHEV-M events feed joined");
  }

  static GuestSpec withInterval(GuestSpec g, String seconds) {
    Map<String, AttributeValue> m = new java.util.HashMap<>(g.attributes());
    m.put("MonitorInterval", new AttributeValue.Scalar(seconds));
    return new GuestSpec(g.resource(), m);
  }

  @Test
  void migrationMovesTheVmAndIsRefusedWhenPinnedOrAcrossClusters() throws Exception {
    GuestSpec g = spec("vm1");
    agent.online(g);
    awaitConfidence(g, 100);
    EntryResult moved = agent.migrate(g, new org.havirt.types.backend.MigrationTarget("n2", "h2"));
    assertThat(moved.exec()).as(moved.reason()).isEqualTo(ExecStatus.DONE);
    long deadline = System.nanoTime() + 10_000_000_000L;
    MonitorResult m = monitor(g);
    while (!m.reason().equals("rhev: up on h2") && System.nanoTime() < deadline) {
      Thread.sleep(50); // the simulated migration takes its steps
      m = monitor(g);
    }
    assertThat(m).isEqualTo(MonitorResult.intentionalOffline("rhev: up on h2"));

    sim.model.addCluster("dr");
    sim.model.addHost("drhost", "dr");
    EntryResult across =
        agent.migrate(g, new org.havirt.types.backend.MigrationTarget("dr1", "drhost"));
    assertThat(across.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(across.reason()).contains("in another RHEV cluster").contains("fail over instead");

    assertThat(
            agent.migrate(g, new org.havirt.types.backend.MigrationTarget("x", "nohost")).reason())
        .contains("RHEV-M has no host named 'nohost'");
    sim.model.vmByName("vm1").orElseThrow().affinity = "pinned";
    EntryResult pinned = agent.migrate(g, new org.havirt.types.backend.MigrationTarget("n1", "h1"));
    assertThat(pinned.reason()).contains("placement affinity 'pinned'");
  }

  @Test
  void everyRhevStatusReachesTheEngineAsTheStateTableSays() {
    GuestSpec g = spec("vm1");
    SimModel.Vm vm = sim.model.vmByName("vm1").orElseThrow();
    for (org.havirt.types.state.RhevVmStatus st : org.havirt.types.state.RhevVmStatus.values()) {
      synchronized (sim.model) {
        vm.status = st.wireName();
        vm.hostId = h1.id;
      }
      org.havirt.types.state.VmStatus table =
          org.havirt.types.state.RhevStateTable.classify(st.wireName());
      MonitorResult expected =
          org.havirt.types.state.VmStateTable.toMonitorResult(
              "rhev",
              new org.havirt.types.state.VmStatus(
                  table.state(), table.native_(), java.util.Optional.of("h1")),
              org.havirt.types.state.StatePolicy.DEFAULT);
      assertThat(expected.state()).as(st.wireName()).isNotNull();
      assertThat(monitor(g)).as(st.wireName()).isEqualTo(expected);
    }
  }

  @Test
  void devScanListsTheDisksRhevmSeesAndFailsOnABadOne() {
    EntryResult ok = agent.action(spec("vm1"), "DevScan", List.of());
    assertThat(ok.exec()).as(ok.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(ok.output()).isEqualTo("disk vm1_disk0 (virtio_scsi): ok OK");
    sim.model.vmByName("vm1").orElseThrow().disks.put("vm1_data", "illegal");
    EntryResult bad = agent.action(spec("vm1"), "DevScan", List.of());
    assertThat(bad.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(bad.output()).contains("disk vm1_data (virtio_scsi): illegal NOT USABLE");
  }

  @Test
  void badCredentialsAreAPermissionErrorThatNeverShowsThePassword() {
    EntryResult r = agent.monitor(spec("vm1", "Password", cipher.encrypt("wrong-password")));
    MonitorResult m = r.state().orElseThrow();
    assertThat(m.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(m.reason())
        .contains("RHEV-M refused the credentials of user admin@internal")
        .doesNotContain("wrong-password");
  }

  @Test
  void aPlainOrForeignPasswordIsRefusedWithoutShowingIt() throws Exception {
    MonitorResult plain = monitor(spec("vm1", "Password", "s3cret!"));
    assertThat(plain.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(plain.reason())
        .contains("not encrypted")
        .contains("havirt encrypt")
        .doesNotContain("s3cret!");
    String foreign = PasswordCipher.openOrCreate(dir.resolve("other.key")).encrypt("s3cret!");
    assertThat(monitor(spec("vm1", "Password", foreign)).reason())
        .contains("does not decrypt with this host's key file");
  }

  @Test
  void anUntrustedCertificateIsRefused() {
    MonitorResult m = monitor(spec("vm1", "CAFile", "<unset>"));
    assertThat(m.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(m.reason()).contains("is not trusted").contains("CAFile");
  }

  @Test
  void rhevmDownSlowOrGarbledIsUnknownNeverOffline() {
    GuestSpec g = spec("vm1");
    assertThat(monitor(g).state()).isEqualTo(ResourceState.OFFLINE);
    sim.faultsOnlyOn = "/vms"; // not the events feed, polled beside the monitor
    sim.fail5xx.set(1);
    assertThat(monitor(g).reason()).contains("Service Unavailable").contains("503");
    sim.garbage.set(1);
    assertThat(monitor(g))
        .satisfies(
            m -> {
              assertThat(m.state()).isEqualTo(ResourceState.UNKNOWN);
              assertThat(m.reason()).contains("not JSON");
            });
    sim.latencyMillis = 3000;
    EntryResult slow = agent.monitor(g);
    assertThat(slow.state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    // RHEV-M's own slowness explains the timeout: UNKNOWN, never counted as a monitor hang
    // (spec §6, FaultOnMonitorTimeouts).
    assertThat(slow.exec()).isEqualTo(ExecStatus.DONE);
    assertThat(slow.reason()).contains("not counted as a monitor timeout");
    sim.latencyMillis = 0;
    sim.close();
    MonitorResult down = monitor(g);
    assertThat(down.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(down.reason()).contains("unreachable");
  }

  @Test
  void anExpiredTokenIsRenewedOnceTransparently() {
    GuestSpec g = spec("vm1");
    assertThat(monitor(g).state()).isEqualTo(ResourceState.OFFLINE);
    sim.revokeTokens();
    assertThat(monitor(g).state()).isEqualTo(ResourceState.OFFLINE);
  }

  @Test
  void missingOrWrongSettingsAreClear() {
    assertThat(monitor(spec("nosuch")))
        .isEqualTo(MonitorResult.offline("rhev: no VM named 'nosuch' in RHEV-M"));
    assertThat(monitor(spec("vm1", "URL", "<unset>")).reason())
        .contains("RHEVMInfo.URL is not set");
    assertThat(monitor(spec("vm1", "URL", "http://insecure")).reason())
        .contains("must be an https:// URL");
    assertThat(agent.action(spec("vm1"), "vmconfigsync", List.of()).exec())
        .isEqualTo(ExecStatus.FAILED);
  }
}
