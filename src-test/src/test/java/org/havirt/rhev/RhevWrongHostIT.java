package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Spec §6 "never act on the wrong VM" for RHEV, against the simulator over HTTPS: this node (RHEV
 * host h1) stops, cleans and migrates only a VM that runs on h1, compared by host id. Every test
 * runs twice: with an engine that expands {@code follow=host} and with one that does not (before
 * 4.2, or a proxy that strips the parameter), where a VM's host is only {@code {id, href}}.
 */
class RhevWrongHostIT {
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
    backend = backendAs("h1");
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
  }

  RhevBackend backendAs(String host) {
    return new RhevBackend(
        new VmBackendFactory.Settings(
            Map.of("rhev.host", host, "key.file", dir.resolve("havirt.key").toString())));
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
    return new GuestSpec(
        "res_" + vm,
        Map.of(
            "GuestName",
            new AttributeValue.Scalar(vm),
            "RHEVMInfo",
            new AttributeValue.Association(info),
            "DelayAfterGuestOffline",
            new AttributeValue.Scalar("10"),
            // A 1 s interval means no listing is reused: every monitor sees RHEV-M as it is now.
            "MonitorInterval",
            new AttributeValue.Scalar("1")));
  }

  MonitorResult monitor(GuestSpec g) {
    return agent.monitor(g).state().orElseThrow();
  }

  /** Starts {@code vm} on {@code host} in RHEV-M (as its UI would) and waits until it is up. */
  SimModel.Vm upOn(String vm, SimModel.Host host) throws InterruptedException {
    SimModel.Vm v = sim.model.vmByName(vm).orElseThrow();
    assertThat(sim.model.start(v, host)).isEmpty();
    awaitStatus(v, "up", host);
    return v;
  }

  void awaitStatus(SimModel.Vm v, String status, SimModel.Host host) throws InterruptedException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (!(status(v).equals(status) && host.id.equals(v.hostId))
        && System.nanoTime() < deadline) {
      Thread.sleep(20); // the simulated VM changes on its own clock
    }
    assertThat(status(v) + " on " + v.hostId).isEqualTo(status + " on " + host.id);
  }

  String status(SimModel.Vm v) {
    synchronized (sim.model) {
      return sim.model.vmByName(v.name).orElseThrow().status;
    }
  }

  void assertStillUpOn(SimModel.Vm v, SimModel.Host host) {
    SimModel.Vm now = sim.model.vmByName(v.name).orElseThrow();
    assertThat(now.status + " on " + now.hostId)
        .as("VM %s untouched on %s", v.name, host.name)
        .isEqualTo("up on " + host.id);
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void smokeMonitorOnlineOfflineHere(boolean expand) throws Exception {
    sim.expandLinks = expand;
    GuestSpec g = spec("vm1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
    EntryResult on = agent.online(g);
    assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
    awaitStatus(sim.model.vmByName("vm1").orElseThrow(), "up", h1);
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("rhev: down"));
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void aVmUpOnAnotherHostIsIntentionalOfflineHereAndNeverStarted(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    GuestSpec g = spec("vm2");
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("rhev: up on h2"));
    EntryResult r = agent.online(g);
    assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains("is up on host h2; refusing to start a second copy");
    assertStillUpOn(vm2, h2);
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void offlineAndCleanOfAVmUpOnAnotherHostLeaveItRunning(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    GuestSpec g = spec("vm2");
    EntryResult off = agent.offline(g);
    assertThat(off.exec()).as(off.reason()).isEqualTo(ExecStatus.DONE);
    assertStillUpOn(vm2, h2);
    EntryResult clean = agent.clean(g, CleanReason.UNEXPECTED_OFFLINE);
    assertThat(clean.exec()).as(clean.reason()).isEqualTo(ExecStatus.DONE);
    assertStillUpOn(vm2, h2);
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("rhev: up on h2"));
  }

  /** The framework's answer to a refused online: monitors, then an "online ineffective" clean. */
  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void aRefusedOnlineNeverEndsInACleanThatStopsTheVmElsewhere(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    GuestSpec g = spec("vm2");
    assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(monitor(g).state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    EntryResult clean = agent.clean(g, CleanReason.ONLINE_INEFFECTIVE);
    assertThat(clean.exec()).as(clean.reason()).isEqualTo(ExecStatus.DONE);
    // Pacemaker's stop after its failed start: offline, then clean with reason 0.
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(agent.clean(g, CleanReason.OFFLINE_HUNG).exec()).isEqualTo(ExecStatus.DONE);
    assertStillUpOn(vm2, h2);
  }

  /**
   * A migration started in RHEV-M (its UI) from this host to h2: while it runs, RHEV-M names the
   * source as the VM's host and nothing names the target, so offline and clean leave it alone; once
   * it lands on h2 it is elsewhere. It is never stopped from here.
   */
  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void aMigrationStartedInRhevmAwayFromThisHostIsNotAnsweredByAStop(boolean expand)
      throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm1 = upOn("vm1", h1);
    GuestSpec g = spec("vm1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    sim.model.stepMillis = 3000; // the migration takes one step: time to act while it runs
    assertThat(sim.model.migrate(vm1, h2)).isEmpty();
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("rhev: migrating on h1"));
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(status(vm1)).as("still migrating").isEqualTo("migrating");
    awaitStatus(vm1, "up", h2);
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("rhev: up on h2"));
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    assertStillUpOn(vm1, h2);
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void migrateMovesOnlyAVmThatRunsHere(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    GuestSpec g = spec("vm2");
    EntryResult r = agent.migrate(g, new MigrationTarget("n1", "h1"));
    assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains("VM vm2 runs on host h2, not on this host (h1)");
    assertStillUpOn(vm2, h2);
    EntryResult there = agent.migrate(g, new MigrationTarget("n2", "h2"));
    assertThat(there.exec()).as("already on the target: done").isEqualTo(ExecStatus.DONE);
    assertStillUpOn(vm2, h2);
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void aRunningVmWhoseHostCannotBeEstablishedIsUnknownAndNotStopped(boolean expand)
      throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    SimModel.Host gone = h2;
    sim.model.removeHost(gone); // RHEV-M lists no host under the VM's host id any more
    GuestSpec g = spec("vm2");
    MonitorResult m = monitor(g);
    assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(m.reason()).contains("host " + gone.id).contains("RHEV-M does not list");
    EntryResult off = agent.offline(g);
    assertThat(off.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(off.reason()).contains("not stopping it");
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.FAILED);
    assertStillUpOn(vm2, gone);
    synchronized (sim.model) {
      vm2.hostId = null; // up, and RHEV-M names no host at all
    }
    MonitorResult noHost = monitor(g);
    assertThat(noHost.state()).as(noHost.reason()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(noHost.reason()).isEqualTo("rhev: up, but RHEV-M names no host");
    EntryResult clean = agent.clean(g, CleanReason.UNEXPECTED_OFFLINE);
    assertThat(clean.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(clean.reason()).contains("names no host for it; not stopping it");
    assertThat(status(vm2)).isEqualTo("up");
  }

  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void thisSystemUnknownToRhevmMakesARunningVmUnknown(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    try (RhevBackend misnamed = backendAs("h9")) {
      ResourceAgent other = new ResourceAgent(misnamed, Ticker.SYSTEM);
      MonitorResult m = other.monitor(spec("vm2")).state().orElseThrow();
      assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
      assertThat(m.reason()).contains("no host named 'h9'");
      assertThat(other.clean(spec("vm2"), CleanReason.UNEXPECTED_OFFLINE).exec())
          .isEqualTo(ExecStatus.FAILED);
      EntryResult on = other.online(spec("vm2"));
      assertThat(on.exec()).isEqualTo(ExecStatus.FAILED);
      assertThat(on.reason()).contains("not started");
      assertThat(other.monitor(spec("vm1")).state().orElseThrow())
          .as("a VM that is down runs nowhere: no host needed")
          .isEqualTo(MonitorResult.offline("rhev: down"));
    }
    assertStillUpOn(vm2, h2);
  }

  /** RHEV-M re-registers this host under a new id: the backend resolves its id again. */
  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void thisHostIsResolvedAgainWhenRhevmReRegistersIt(boolean expand) throws Exception {
    sim.expandLinks = expand;
    upOn("vm2", h2);
    assertThat(monitor(spec("vm2")).state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    sim.model.removeHost(h1);
    SimModel.Host again = sim.model.addHost("h1", "prod");
    SimModel.Vm vm1 = upOn("vm1", again);
    GuestSpec g = spec("vm1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(status(vm1)).as("it runs here: clean stops it").isEqualTo("down");
  }

  /** Manual fencing names and checks the dead host by id, so it needs no link expansion. */
  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void manualFencingFindsTheDeadHostById(boolean expand) throws Exception {
    sim.expandLinks = expand;
    SimModel.Vm vm2 = upOn("vm2", h2);
    sim.model.crashHost(h2);
    EntryResult without = agent.online(spec("vm2"));
    assertThat(without.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(without.reason()).contains("is unknown on host h2 (non_responsive)");
    EntryResult r = agent.online(spec("vm2", "UseManualRHEVMFencing", "1"));
    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(h2.status).as("fence confirmed").isEqualTo("down");
    awaitStatus(vm2, "up", h1);
  }
}
