package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.Test;

/**
 * The framework's safety rules (issue 13, points 4–9), each a defect found in review or by a
 * randomized fault run: nothing acts on a VM on a stale intent, after delete or disable, on a stuck
 * call, or because a hung control connection made monitors time out.
 */
@org.junit.jupiter.api.Timeout(
    value = 30,
    threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // a lost answer fails
class FrameworkSafetyTest extends FrameworkHarness {

  /** Brings the resource ONLINE through an engine online and its settling monitor. */
  void runningGuest(String... kv) {
    add(spec(kv));
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
  }

  void crash() {
    vm.vm = MonitorResult.offline("fake: crashed");
    agent.hint("vm1");
    loop.runDue();
  }

  List<EntryPoint> callsAfter(int index) {
    return vm.calls.subList(index, vm.calls.size()).stream().map(Invocation::entryPoint).toList();
  }

  static EntryResult monitorResult(MonitorResult m) {
    return new EntryResult(EntryPoint.MONITOR, ExecStatus.DONE, Optional.of(m), 0, m.reason(), "");
  }

  // ---- point 1 (the framework's part): a refused online never ends in a clean ----

  @Test
  void anOnlineRefusedBecauseTheGuestRunsElsewhereNeverEndsInAClean() {
    add(spec());
    vm.onlineWorks = false;
    vm.vm = MonitorResult.intentionalOffline("fake: runs on host h2");
    CompletableFuture<CommandReply> online = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(300));
    assertThat(online).isCompleted();
    assertThat(vm.cleanReasons())
        .as("an online-ineffective clean could reach the copy on h2")
        .isEmpty();
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
    assertThat(status().state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
  }

  // ---- point 4: a failed clean is never retried blindly ----

  @Test
  void aFailedCleansRetryIsCancelledByTheEnginesCommandsAndNeverDestroysANewerStart() {
    runningGuest();
    vm.cleanFails = true;
    crash(); // unexpected offline → clean (reason 4), which fails; a retry is due in 60 s
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
    vm.cleanFails = false;
    // The engine stops the resource, then starts the VM here again.
    assertThat(command(Invocation.of(EntryPoint.OFFLINE)).join().exec()).isEqualTo(ExecStatus.DONE);
    command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(5));
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    int mark = vm.calls.size();
    advance(Duration.ofSeconds(600));
    assertThat(callsAfter(mark))
        .as("the old retry must not destroy the VM the engine started since")
        .doesNotContain(EntryPoint.CLEAN);
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(status().flag()).isEmpty();
  }

  @Test
  void aFailedCleansRetryIsDroppedWhenTheGuestRunsAgain() {
    runningGuest("RestartLimit", "1");
    vm.cleanFails = true;
    crash();
    vm.cleanFails = false;
    // Before the retry is due the guest is seen running again (restarted by someone else).
    vm.vm = MonitorResult.online(100, "fake: running");
    agent.hint("vm1");
    loop.runDue();
    int mark = vm.calls.size();
    advance(Duration.ofSeconds(600));
    assertThat(callsAfter(mark)).doesNotContain(EntryPoint.CLEAN, EntryPoint.ONLINE);
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
  }

  @Test
  void aFailedCleansRetryNeverRunsWhileTheStateIsUnknown() {
    runningGuest();
    vm.cleanFails = true;
    crash();
    vm.cleanFails = false;
    vm.vm = MonitorResult.unknown("fake: libvirtd unreachable");
    agent.hint("vm1");
    loop.runDue();
    int mark = vm.calls.size();
    advance(Duration.ofSeconds(600));
    assertThat(callsAfter(mark)).doesNotContain(EntryPoint.CLEAN);
  }

  // ---- point 5: queued follow-ups are re-checked when they start ----

  @Test
  void anEngineStopSupersedesTheAutomaticRestartQueuedBeforeIt() {
    runningGuest("RestartLimit", "1");
    vm.hangOnly = EntryPoint.CLEAN;
    crash(); // the automatic clean is in flight
    assertThat(vm.held).hasSize(1);
    CompletableFuture<CommandReply> stop = command(Invocation.of(EntryPoint.OFFLINE));
    vm.hangOnly = null;
    vm.held.get(0).complete(EntryResult.done(EntryPoint.CLEAN, "fake: destroyed"));
    loop.runDue();
    advance(Duration.ofSeconds(600));
    assertThat(stop.join().status().state()).isEqualTo(ResourceState.OFFLINE);
    long onlinesAfterStop =
        vm
            .calls
            .subList(vm.calls.indexOf(Invocation.of(EntryPoint.OFFLINE)), vm.calls.size())
            .stream()
            .filter(i -> i.entryPoint() == EntryPoint.ONLINE)
            .count();
    assertThat(onlinesAfterStop).as("the engine stopped it: no restart after that").isZero();
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
  }

  @Test
  void theFaultedGateAppliesWhenAnOnlineStartsNotWhenItIsQueued() {
    runningGuest();
    vm.hangOnly = EntryPoint.CLEAN;
    crash(); // unexpected offline: the clean is in flight
    assertThat(vm.held).hasSize(1);
    CompletableFuture<CommandReply> online = command(Invocation.of(EntryPoint.ONLINE));
    assertThat(online).as("queued while nothing was faulted yet").isNotDone();
    vm.hangOnly = null;
    vm.held.get(0).complete(EntryResult.done(EntryPoint.CLEAN, "fake: destroyed"));
    loop.runDue();
    loop.runDue();
    assertThat(status().flag())
        .as("RestartLimit 0: the clean ends in a fault")
        .contains(FrameworkState.FAULTED);
    assertThat(online).isCompletedExceptionally();
    assertThat(vm.count(EntryPoint.ONLINE)).as("only the first online ever ran").isEqualTo(1);
  }

  // ---- point 6: after delete or disable nothing touches the VM, every caller is answered ----

  @Test
  void aResultArrivingAfterDeleteIsNeverActedOn() {
    runningGuest();
    vm.hangMonitors = true;
    agent.hint("vm1");
    loop.runDue();
    CompletableFuture<String> deleted = agent.delete("r1");
    loop.runDue();
    vm.hangMonitors = false;
    vm.held.get(0).complete(monitorResult(MonitorResult.offline("fake: crashed")));
    loop.runDue();
    loop.runDue();
    assertThat(vm.count(EntryPoint.CLEAN) + vm.count(EntryPoint.ONLINE) - 1).isZero();
    assertThat(deleted).isCompletedWithValue("r1");
  }

  @Test
  void everyCallerOfADeletedResourceIsAnsweredAndASecondDeleteCompletes() {
    runningGuest();
    vm.hang = true;
    CompletableFuture<CommandReply> inFlight = command(Invocation.action("DevScan", List.of()));
    CompletableFuture<CommandReply> queued = command(Invocation.of(EntryPoint.MONITOR));
    CompletableFuture<String> first = agent.delete("r1");
    loop.runDue();
    loop.runDue();
    assertThat(inFlight).isCompletedExceptionally();
    assertThat(queued).isCompletedExceptionally();
    assertThat(first)
        .as("gone at once: a close need not wait for a call that may be stuck")
        .isCompletedWithValue("r1");
    vm.hang = false;
    vm.held.get(0).complete(EntryResult.done(EntryPoint.ACTION, "fake")); // late, and ignored
    loop.runDue();

    // An idle resource is closed first; a second delete meanwhile waits for the same close.
    add(spec());
    vm.hangOnly = EntryPoint.CLOSE;
    CompletableFuture<String> one = agent.delete("r1");
    loop.runDue();
    CompletableFuture<String> two = agent.delete("r1");
    loop.runDue();
    assertThat(one).isNotDone();
    assertThat(two).isNotDone();
    vm.held.get(vm.held.size() - 1).complete(EntryResult.done(EntryPoint.CLOSE, "fake: closed"));
    loop.runDue();
    loop.runDue();
    assertThat(one).isCompletedWithValue("r1");
    assertThat(two).isCompletedWithValue("r1");
  }

  @Test
  void disablingAnswersEveryCallerJudgesNothingAndReenablingStartsFresh() {
    runningGuest("ToleranceLimit", "1");
    vm.hangMonitors = true;
    agent.hint("vm1");
    loop.runDue();
    CompletableFuture<CommandReply> queued = command(Invocation.of(EntryPoint.OFFLINE));
    agent.modify("r1", spec("ToleranceLimit", "1", "Enabled", "0"));
    loop.runDue();
    assertThat(queued).isCompletedExceptionally();
    vm.hangMonitors = false;
    vm.held.get(0).complete(monitorResult(MonitorResult.offline("fake: crashed")));
    loop.runDue();
    advance(Duration.ofSeconds(3600));
    assertThat(vm.count(EntryPoint.OFFLINE) + vm.count(EntryPoint.CLEAN))
        .as("a disabled resource never touches the VM")
        .isZero();
    vm.vm = MonitorResult.online(100, "fake: running");
    agent.modify("r1", spec("ToleranceLimit", "1", "Enabled", "1"));
    loop.runDue();
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(status().expected()).isEqualTo("online");
    crash(); // fresh counters: ToleranceLimit 1 tolerates this first offline monitor
    assertThat(vm.count(EntryPoint.CLEAN)).isZero();
  }

  // ---- point 7: both sides of a migration expect ONLINE where the VM is ----

  @Test
  void aFailedMigrationLeavesTheGuestExpectedOnlineHere() {
    runningGuest();
    vm.hang = true;
    CompletableFuture<CommandReply> m = command(Invocation.migrate("node2"));
    vm.hang = false;
    vm.held
        .get(0)
        .complete(
            new EntryResult(
                EntryPoint.MIGRATE, ExecStatus.FAILED, Optional.empty(), 0, "fake: refused", ""));
    loop.runDue();
    loop.runDue();
    assertThat(m.join().exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(status().expected()).isEqualTo("online");
    crash();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void aGuestThatArrivesByMigrationIsExpectedOnlineOnTheTarget() {
    add(spec());
    assertThat(status().expected()).isEqualTo("offline");
    vm.vm = MonitorResult.online(100, "fake: running (migrated in)");
    agent.hint("vm1");
    loop.runDue();
    assertThat(status().expected()).isEqualTo("online");
    crash();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
  }

  // ---- point 8: the clock starts when the entry point starts; one at a time, even when stuck ----

  @Test
  void anEntryPointWaitingForAWorkerNeverTimesOut() {
    add(spec("OnlineTimeout", "30"));
    vm.workersBusy = true;
    CompletableFuture<CommandReply> online = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(120));
    assertThat(online).as("queued behind busy workers, not started: no timeout").isNotDone();
    vm.begin();
    loop.runDue();
    advance(Duration.ofSeconds(5));
    assertThat(online.join().exec()).isEqualTo(ExecStatus.DONE);
    assertThat(vm.cleanReasons()).isEmpty();
  }

  @Test
  void aCallStuckPastItsTimeoutHoldsTheNextEntryPointAndTheResourceIsUnknown() {
    add(spec("OnlineTimeout", "30"));
    vm.hang = true;
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(31));
    assertThat(reply.join().exec()).isEqualTo(ExecStatus.TIMED_OUT);
    vm.hang = false;
    advance(Duration.ofSeconds(120));
    assertThat(vm.cleanReasons()).as("the clean waits for the stuck online").isEmpty();
    assertThat(vm.maxInFlight).isEqualTo(1);
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
    // It returns at last, having started nothing: only then does anything else run. Its clean
    // (online hung) was decided while it held the slot; the resource is UNKNOWN by now, so a fresh
    // monitor decides instead, and the online wait ends as online ineffective.
    vm.held.get(0).complete(EntryResult.done(EntryPoint.ONLINE, "fake: started at last"));
    loop.runDue();
    loop.runDue();
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
    advance(Duration.ofSeconds(120));
    assertThat(vm.cleanReasons()).containsExactly("ONLINE_INEFFECTIVE");
    assertThat(vm.maxInFlight).isEqualTo(1);
  }

  // ---- point 9: only consecutive monitor timeouts count ----

  @Test
  void monitorTimeoutsCountOnlyWhenConsecutive() {
    runningGuest("FaultOnMonitorTimeouts", "2");
    for (int i = 0; i < 5; i++) {
      vm.monitorTimesOut = true;
      agent.hint("vm1");
      loop.runDue();
      vm.monitorTimesOut = false;
      vm.vm = MonitorResult.unknown("fake: libvirtd unreachable");
      agent.hint("vm1");
      loop.runDue();
    }
    assertThat(vm.cleanReasons()).as("timeout, unreachable, timeout… never 2 in a row").isEmpty();
    vm.monitorTimesOut = true;
    agent.hint("vm1");
    loop.runDue();
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.cleanReasons()).containsExactly("MONITOR_HUNG");
  }

  @Test
  void aCleanNeverJumpsAheadOfAQueuedEngineCommand() {
    runningGuest("RestartLimit", "1");
    vm.hangMonitors = true;
    agent.hint("vm1");
    loop.runDue();
    CompletableFuture<CommandReply> stop = command(Invocation.clean(CleanReason.OFFLINE_HUNG));
    vm.hangMonitors = false;
    vm.held.get(0).complete(monitorResult(MonitorResult.offline("fake: crashed")));
    loop.runDue();
    loop.runDue();
    assertThat(stop.join().exec()).isEqualTo(ExecStatus.DONE);
    advance(Duration.ofSeconds(600));
    assertThat(vm.count(EntryPoint.ONLINE)).as("no restart after the engine's stop").isEqualTo(1);
  }

  // ---- found by an independent review of the rules ----

  @Test
  void aResourceWhoseQueuedWorkIsRefusedStillHasItsNextMonitorDue() {
    runningGuest();
    vm.vm = MonitorResult.unknown("fake: libvirtd unreachable");
    agent.hint("vm1");
    loop.runDue();
    vm.hangOnly = EntryPoint.OFFLINE;
    CompletableFuture<CommandReply> stop = command(Invocation.of(EntryPoint.OFFLINE));
    vm.hangOnly = null;
    vm.held
        .get(0)
        .complete(
            new EntryResult(
                EntryPoint.OFFLINE, ExecStatus.TIMED_OUT, Optional.empty(), 0, "fake: slow", ""));
    loop.runDue();
    loop.runDue();
    assertThat(stop.join().exec()).isEqualTo(ExecStatus.TIMED_OUT);
    assertThat(vm.cleanReasons()).as("never from UNKNOWN").isEmpty();
    long monitors = vm.count(EntryPoint.MONITOR);
    vm.vm = MonitorResult.offline("fake: shut off");
    advance(Duration.ofSeconds(60));
    assertThat(vm.count(EntryPoint.MONITOR))
        .as("the safety net still runs")
        .isGreaterThan(monitors);
    assertThat(status().state()).isEqualTo(ResourceState.OFFLINE);
  }

  @Test
  void aCleanRetryIsDecidedOnAFreshMonitorNotOnWhatWasSeenBeforeItFailed() {
    runningGuest();
    vm.cleanFails = true;
    crash();
    vm.cleanFails = false;
    // Started again behind the agent's back, and no event told the agent.
    vm.vm = MonitorResult.online(100, "fake: running");
    int mark = vm.calls.size();
    advance(Duration.ofSeconds(61));
    assertThat(callsAfter(mark)).as("a fresh monitor comes first").startsWith(EntryPoint.MONITOR);
    advance(Duration.ofSeconds(600));
    assertThat(callsAfter(mark)).doesNotContain(EntryPoint.CLEAN);
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
  }

  @Test
  void aFailedEngineCleanIsNotRetriedOverTheEnginesNewerOnline() {
    runningGuest();
    vm.cleanFails = true;
    command(Invocation.clean(CleanReason.OFFLINE_HUNG));
    vm.cleanFails = false;
    command(Invocation.of(EntryPoint.ONLINE));
    int mark = vm.calls.size();
    advance(Duration.ofSeconds(600));
    assertThat(callsAfter(mark)).doesNotContain(EntryPoint.CLEAN);
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
  }

  @Test
  void aCallStillRunningAfterDisableIsShownAndBoundedAndHoldsTheReenabledResource() {
    add(spec("OnlineTimeout", "30"));
    vm.hangOnly = EntryPoint.ONLINE;
    command(Invocation.of(EntryPoint.ONLINE));
    agent.modify("r1", spec("OnlineTimeout", "30", "Enabled", "0"));
    loop.runDue();
    agent.modify("r1", spec("OnlineTimeout", "30", "Enabled", "1"));
    loop.runDue();
    assertThat(status().busy()).as("the orphaned online still runs").contains("online");
    advance(Duration.ofSeconds(31));
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(status().reason()).contains("still running in the backend");
    assertThat(vm.maxInFlight).as("the re-enabled open waits for it").isEqualTo(1);
    vm.hangOnly = null;
    vm.held.get(0).complete(EntryResult.done(EntryPoint.ONLINE, "fake: late"));
    loop.runDue();
    loop.runDue();
    assertThat(vm.calls.get(vm.calls.size() - 1).entryPoint()).isEqualTo(EntryPoint.MONITOR);
    assertThat(vm.maxInFlight).isEqualTo(1);
  }

  @Test
  void aMigrationDuringTheOnlineWaitIsNotAnIneffectiveOnline() {
    add(spec());
    command(Invocation.of(EntryPoint.ONLINE)); // waiting DelayAfterGuestOnline
    assertThat(command(Invocation.migrate("node2")).join().exec()).isEqualTo(ExecStatus.DONE);
    advance(Duration.ofSeconds(600));
    assertThat(status().state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    assertThat(status().flag()).as("it left on purpose: no fault").isEmpty();
    assertThat(vm.cleanReasons()).isEmpty();
  }

  @Test
  void commandsWhileAnEntryPointIsStuckAreRefusedAtOnce() {
    add(spec("OnlineTimeout", "30"));
    vm.hang = true;
    command(Invocation.of(EntryPoint.ONLINE));
    CompletableFuture<CommandReply> waiting = command(Invocation.of(EntryPoint.MONITOR));
    advance(Duration.ofSeconds(31));
    assertThat(waiting).as("answered when the online got stuck").isCompletedExceptionally();
    assertThat(command(Invocation.of(EntryPoint.OFFLINE))).isCompletedExceptionally();
  }
}
