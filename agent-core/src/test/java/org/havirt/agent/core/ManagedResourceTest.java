package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;

/** The agent framework's semantics (spec §5), driven by hand: a manual clock and a fake VM. */
class ManagedResourceTest extends FrameworkHarness {
  @Test
  void addingProbesAndAdoptsARunningGuestWithoutTouchingIt() {
    vm.vm = MonitorResult.online(100, "fake: running");
    add(spec());
    assertThat(vm.calls)
        .extracting(Invocation::entryPoint)
        .containsExactly(EntryPoint.OPEN, EntryPoint.MONITOR);
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(status().expected()).isEqualTo("online");
    // It is ours now: a crash is handled (clean reason 4, RestartLimit 0 → FAULTED).
    vm.vm = MonitorResult.offline("fake: crashed");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void aFailedValidationHoldsTheResourceUnknownAndNothingActsUntilItPasses() {
    vm.vm = MonitorResult.online(100, "fake: running");
    vm.invalid = "SyncDir /x is not a directory";
    add(spec());
    assertThat(vm.calls).extracting(Invocation::entryPoint).containsExactly(EntryPoint.OPEN);
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(status().reason()).isEqualTo("validation failed: SyncDir /x is not a directory");
    for (EntryPoint ep : List.of(EntryPoint.ONLINE, EntryPoint.CLEAN)) {
      CompletableFuture<CommandReply> refused =
          command(
              ep == EntryPoint.CLEAN
                  ? Invocation.clean(CleanReason.UNEXPECTED_OFFLINE)
                  : Invocation.of(ep));
      assertThat(refused).isCompletedExceptionally();
    }
    // Each engine command validated afresh first (the old word may be stale) and was refused on
    // its own validation.
    assertThat(vm.count(EntryPoint.OPEN)).isEqualTo(3);
    assertThat(vm.count(EntryPoint.ONLINE) + vm.count(EntryPoint.CLEAN)).isZero();
    vm.vm = MonitorResult.offline("fake: crashed");
    agent.hint("vm1"); // a backend hint while invalid re-validates, and still acts on nothing
    loop.runDue();
    assertThat(vm.count(EntryPoint.OPEN)).isEqualTo(4);
    assertThat(vm.count(EntryPoint.MONITOR)).isZero();
    assertThat(vm.cleanReasons()).isEmpty();
    vm.invalid = null; // fixed
    advance(Duration.ofSeconds(300)); // the next monitor round: OfflineMonitorInterval
    assertThat(vm.count(EntryPoint.OPEN)).isEqualTo(5);
    assertThat(vm.count(EntryPoint.MONITOR)).isEqualTo(1);
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(vm.cleanReasons()).as("found offline at its first real probe: not ours").isEmpty();
  }

  @Test
  void onlineWaitsItsDelayThenMonitorsAndSettles() {
    add(spec());
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    assertThat(vm.count(EntryPoint.ONLINE)).isEqualTo(1);
    assertThat(reply).isNotDone();
    advance(Duration.ofSeconds(4));
    assertThat(reply).as("still within DelayAfterGuestOnline").isNotDone();
    advance(Duration.ofSeconds(1));
    assertThat(reply).isCompleted();
    CommandReply r = reply.join();
    assertThat(r.exec()).isEqualTo(ExecStatus.DONE);
    assertThat(r.status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(vm.maxInFlight).isEqualTo(1);
  }

  @Test
  void onlineIneffectiveAfterOnlineWaitLimitCleansWithReason3ThenFaults() {
    vm.onlineWorks = false;
    add(spec());
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    advance(
        Duration.ofSeconds(
            5)); // first monitor after the delay: offline (1 of 1 + OnlineWaitLimit 2)
    assertThat(vm.cleanReasons()).isEmpty();
    advance(Duration.ofSeconds(60)); // second
    assertThat(vm.cleanReasons()).isEmpty();
    advance(Duration.ofSeconds(60)); // third: over the limit
    assertThat(vm.cleanReasons()).containsExactly("ONLINE_INEFFECTIVE");
    assertThat(reply).isCompleted();
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void onlineRetryLimitRetriesBeforeFaulting() {
    vm.onlineWorks = false;
    add(spec("OnlineRetryLimit", "1", "OnlineWaitLimit", "0"));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    assertThat(vm.count(EntryPoint.ONLINE)).as("retried once").isEqualTo(2);
    advance(Duration.ofSeconds(5));
    assertThat(vm.cleanReasons()).containsExactly("ONLINE_INEFFECTIVE", "ONLINE_INEFFECTIVE");
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void toleranceLimitToleratesOfflineMonitors() {
    add(spec("ToleranceLimit", "2"));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.offline("fake: gone");
    advance(Duration.ofSeconds(60));
    advance(Duration.ofSeconds(60));
    assertThat(vm.cleanReasons()).as("two offline monitors tolerated").isEmpty();
    advance(Duration.ofSeconds(60));
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
  }

  @Test
  void restartLimitRestartsLocallyAndConfIntervalResetsTheCount() {
    add(spec("RestartLimit", "1", "ConfInterval", "300"));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.offline("fake: crash 1");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
    assertThat(vm.count(EntryPoint.ONLINE)).as("restarted here").isEqualTo(2);
    advance(Duration.ofSeconds(5));
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    // Stable for ConfInterval: the restart is forgiven, so the next crash restarts again.
    advance(Duration.ofSeconds(360));
    vm.vm = MonitorResult.offline("fake: crash 2");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.count(EntryPoint.ONLINE)).isEqualTo(3);
    advance(Duration.ofSeconds(5));
    // A third crash soon after: the one allowed restart is used up.
    vm.vm = MonitorResult.offline("fake: crash 3");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.count(EntryPoint.ONLINE)).isEqualTo(3);
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void faultOnMonitorTimeoutsCleansWithReason5() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.monitorTimesOut = true;
    for (int i = 0; i < 3; i++) {
      advance(Duration.ofSeconds(60));
    }
    assertThat(vm.cleanReasons()).isEmpty();
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
    advance(Duration.ofSeconds(60));
    assertThat(vm.cleanReasons()).containsExactly("MONITOR_HUNG");
  }

  @Test
  void cleanRetryLimitEndsInAdminWait() {
    vm.cleanFails = true;
    add(spec("CleanRetryLimit", "2"));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.offline("fake: crashed");
    agent.hint("vm1");
    loop.runDue();
    advance(Duration.ofSeconds(60));
    advance(Duration.ofSeconds(60));
    assertThat(vm.count(EntryPoint.CLEAN)).isEqualTo(3);
    assertThat(status().flag()).contains(FrameworkState.ADMIN_WAIT);
    advance(Duration.ofSeconds(600));
    assertThat(vm.count(EntryPoint.CLEAN)).as("nothing automatic in ADMIN_WAIT").isEqualTo(3);
    assertThat(command(Invocation.of(EntryPoint.ONLINE))).isCompletedExceptionally();
    agent.clear("r1");
    loop.runDue();
    assertThat(status().flag()).isEmpty();
  }

  @Test
  void unknownNeverCleansRestartsOrFaults() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.unknown("fake: libvirtd unreachable");
    for (int i = 0; i < 20; i++) {
      agent.hint("vm1");
      advance(Duration.ofSeconds(60));
    }
    assertThat(vm.count(EntryPoint.CLEAN)).isZero();
    assertThat(vm.count(EntryPoint.ONLINE)).isEqualTo(1);
    assertThat(status().flag()).isEmpty();
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
  }

  @Test
  void intentionalOfflineIsNeverAFault() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.intentionalOffline("fake: migrated away");
    agent.hint("vm1");
    advance(Duration.ofSeconds(600));
    assertThat(vm.count(EntryPoint.CLEAN)).isZero();
    assertThat(status().state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    assertThat(status().flag()).isEmpty();
  }

  @Test
  void intentionalOfflineIsAFaultWhenTheTypeSaysSo() {
    add(spec("IntentionalOffline", "0"));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.vm = MonitorResult.intentionalOffline("fake: saved");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
  }

  @Test
  void monitorIntervalsFollowTheState() {
    add(spec("MonitorInterval", "10", "OfflineMonitorInterval", "100"));
    long monitors = vm.count(EntryPoint.MONITOR);
    advance(Duration.ofSeconds(99));
    assertThat(vm.count(EntryPoint.MONITOR)).as("offline: every 100 s").isEqualTo(monitors);
    advance(Duration.ofSeconds(1));
    assertThat(vm.count(EntryPoint.MONITOR)).isEqualTo(monitors + 1);
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    long online = vm.count(EntryPoint.MONITOR);
    advance(Duration.ofSeconds(30));
    assertThat(vm.count(EntryPoint.MONITOR)).as("online: every 10 s").isEqualTo(online + 3);
  }

  @Test
  void anEventMonitorsAtOnceAndWaitsForTheRunningEntryPoint() {
    add(spec());
    vm.hang = true;
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    long monitors = vm.count(EntryPoint.MONITOR);
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.count(EntryPoint.MONITOR)).as("not while online runs").isEqualTo(monitors);
    vm.hang = false;
    vm.vm = MonitorResult.online(100, "fake: running");
    vm.held
        .get(0)
        .complete(org.havirt.agent.resource.EntryResult.done(EntryPoint.ONLINE, "fake: started"));
    loop.runDue();
    assertThat(vm.count(EntryPoint.MONITOR)).as("right after it").isEqualTo(monitors + 1);
    assertThat(vm.maxInFlight).isEqualTo(1);
    assertThat(reply).isCompleted();
  }

  @Test
  void aHungEntryPointTimesOutByTheFrameworksOwnTimer() {
    add(spec("OnlineTimeout", "30"));
    vm.hang = true;
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(30));
    assertThat(reply).isNotDone();
    advance(Duration.ofSeconds(1));
    assertThat(reply.join().exec()).isEqualTo(ExecStatus.TIMED_OUT);
    vm.hang = false;
    loop.runDue();
    // Judged hung, but it still holds the resource: nothing else runs until it returns
    // (FrameworkSafetyTest has the rest of the story).
    assertThat(vm.cleanReasons()).isEmpty();
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(status().busy()).contains("online");
  }

  @Test
  void offlineSettlesAndOfflineIneffectiveCleansWithReason1() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    CompletableFuture<CommandReply> off = command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(off.join().status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(vm.cleanReasons()).isEmpty();

    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    vm.offlineWorks = false;
    command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(vm.cleanReasons()).containsExactly("OFFLINE_INEFFECTIVE");
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
  }

  @Test
  void aForcedStopByTheEngineIsNotAFault() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    // Pacemaker's stop with force_stop: clean, reason "offline hung".
    assertThat(command(Invocation.clean(CleanReason.OFFLINE_HUNG)).join().exec())
        .isEqualTo(ExecStatus.DONE);
    advance(Duration.ofSeconds(600));
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(status().flag()).as("asked for, not a fault").isEmpty();
    assertThat(status().expected()).isEqualTo("offline");
    assertThat(vm.cleanReasons()).containsExactly("OFFLINE_HUNG");
  }

  @Test
  void anExplicitCleanCarriesItsReasonAndMigrateSettlesIntentionallyOffline() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    CommandReply m = command(Invocation.migrate("node2")).join();
    assertThat(m.exec()).isEqualTo(ExecStatus.DONE);
    assertThat(m.status().state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    assertThat(command(Invocation.clean(CleanReason.OFFLINE_HUNG)).join().exec())
        .isEqualTo(ExecStatus.DONE);
    assertThat(vm.cleanReasons()).containsExactly("OFFLINE_HUNG");
    assertThat(command(Invocation.action("DevScan", List.of())).join().output())
        .isEqualTo("output of DevScan");
  }

  @Test
  void eventsCarryIncreasingSequenceNumbersAndOnlyRealChanges() {
    add(spec());
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    assertThat(reply.join().status().seq())
        .as("a reply carries the seq of the change it reports")
        .isEqualTo(events.get(events.size() - 1).seq());
    advance(Duration.ofSeconds(600));
    assertThat(events)
        .extracting(ResourceStatus::state)
        .containsExactly(ResourceState.UNKNOWN, ResourceState.OFFLINE, ResourceState.ONLINE);
    assertThat(events.get(0).reason()).isEqualTo("not probed yet");
    assertThat(events).extracting(ResourceStatus::seq).containsExactly(1L, 2L, 3L);
  }

  @Test
  void deleteClosesAndLeavesTheVmAlone() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    agent.delete("r1");
    loop.runDue();
    loop.runDue();
    assertThat(vm.count(EntryPoint.OFFLINE) + vm.count(EntryPoint.CLEAN)).isZero();
    CompletableFuture<List<ResourceStatus>> all = agent.status(Optional.empty());
    loop.runDue();
    assertThat(all.join()).isEmpty();
    assertThat(vm.vm.state()).isEqualTo(ResourceState.ONLINE);
  }

  @Test
  void aRestartedAgentReprobesAndChangesNothing() {
    vm.vm = MonitorResult.online(100, "fake: running");
    for (int i = 0; i < 3; i++) {
      Agent fresh = new Agent(loop, vm, Clock.systemUTC());
      fresh.add("r" + i, "KVMGuest", spec());
    }
    loop.runDue();
    advance(Duration.ofSeconds(120));
    assertThat(vm.calls)
        .extracting(Invocation::entryPoint)
        .containsOnly(EntryPoint.OPEN, EntryPoint.MONITOR);
  }

  @Test
  void attrChangedRunsOnlyForRegListAttributes() {
    add(spec("RegList", "GuestName"));
    // spec() stores RegList as a scalar; give it its real shape, a keylist.
    GuestSpec base = withVector(spec(), "RegList", List.of("GuestName", "DelayAfterGuestOnline"));
    agent.modify("r1", base);
    loop.runDue();
    long before = vm.count(EntryPoint.ATTR_CHANGED);
    agent.modify("r1", with(base, "MonitorInterval", "30"));
    loop.runDue();
    assertThat(vm.count(EntryPoint.ATTR_CHANGED)).as("not registered").isEqualTo(before);
    agent.modify("r1", with(base, "DelayAfterGuestOnline", "9"));
    loop.runDue();
    assertThat(vm.count(EntryPoint.ATTR_CHANGED)).as("registered").isEqualTo(before + 1);
  }

  @Test
  void disablingClosesAndStopsMonitoringEnablingOpensAndProbes() {
    add(spec());
    long monitors = vm.count(EntryPoint.MONITOR);
    agent.modify("r1", spec("Enabled", "0"));
    loop.runDue();
    advance(Duration.ofSeconds(3600));
    assertThat(vm.count(EntryPoint.MONITOR)).as("no monitoring while disabled").isEqualTo(monitors);
    assertThat(status().reason()).isEqualTo("not monitored: Enabled = 0");
    assertThat(command(Invocation.of(EntryPoint.ONLINE))).isCompletedExceptionally();
    agent.modify("r1", spec("Enabled", "1"));
    loop.runDue();
    assertThat(vm.count(EntryPoint.MONITOR)).isEqualTo(monitors + 1);
    assertThat(
            vm.calls.stream()
                .filter(
                    i ->
                        i.entryPoint() == EntryPoint.OFFLINE || i.entryPoint() == EntryPoint.CLEAN))
        .as("the VM is never touched")
        .isEmpty();
  }

  @Test
  void aProbeStillRunningWhenOnlineIsQueuedIsNotJudgedAgainstIt() {
    vm.hangMonitors = true;
    add(spec());
    assertThat(vm.held).as("the probe is in flight").hasSize(1);
    assertThat(vm.calls.get(vm.calls.size() - 1).entryPoint()).isEqualTo(EntryPoint.MONITOR);
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    vm.hangMonitors = false;
    vm.held
        .get(0)
        .complete(
            new org.havirt.agent.resource.EntryResult(
                EntryPoint.MONITOR,
                ExecStatus.DONE,
                Optional.of(MonitorResult.offline("fake: not defined")),
                0,
                "fake",
                ""));
    loop.runDue();
    advance(Duration.ofSeconds(5));
    assertThat(vm.cleanReasons())
        .as("no clean for an offline probe that predates the online")
        .isEmpty();
    assertThat(reply.join().status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(status().flag()).isEmpty();
  }
}
