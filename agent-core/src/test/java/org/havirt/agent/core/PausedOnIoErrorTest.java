package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.FrameworkState;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.Test;

/**
 * A guest that paused on an I/O error while no agent ran (FailoverOnIOError = 1): OFFLINE, but its
 * qemu is still on this node. The framework treats it as the agent that was up would have (a guest
 * found here that went unexpectedly offline: clean, FAULTED), an offline never settles while the
 * process is still here, and an online does not wait its OnlineWaitLimit for a guest that cannot
 * come up.
 */
class PausedOnIoErrorTest extends FrameworkHarness {
  static final MonitorResult PAUSED_IO =
      MonitorResult.offline("fake: paused (I/O error), failing over (FailoverOnIOError=1)");

  @Test
  void theFirstProbeCleansAGuestFoundPausedOnAnIoErrorAndFaultsIt() {
    vm.vm = PAUSED_IO;
    vm.pausedOnIoError = true;
    add(spec());
    assertThat(vm.cleanReasons())
        .as("destroyed as if the agent had seen it pause")
        .containsExactly("UNEXPECTED_OFFLINE");
    assertThat(vm.count(EntryPoint.ONLINE)).as("never restarted here").isZero();
    ResourceStatus s = status();
    assertThat(s.state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(s.guestActive()).as("its process is gone").isFalse();
    assertThat(s.flag()).contains(FrameworkState.FAULTED);
  }

  @Test
  void aProbeCommandIsAnsweredOnlyOnceTheCleanHasRun() {
    vm.vm = PAUSED_IO;
    vm.pausedOnIoError = true;
    vm.hangOnly = EntryPoint.CLEAN; // the destroy takes its time
    agent.add("r1", "KVMGuest", spec());
    loop.runDue();
    CompletableFuture<CommandReply> probe = command(Invocation.of(EntryPoint.MONITOR));
    assertThat(vm.held).as("the clean runs").hasSize(1);
    assertThat(probe).as("the probe waits behind the clean").isNotDone();
  }

  @Test
  void anOfflineOfAGuestPausedOnAnIoErrorCleansItAndAnswersOnlyOnceItIsGone() {
    add(spec()); // probed: shut off
    vm.pausedOnIoError = true; // started by hand since, and paused on an I/O error
    vm.vm = PAUSED_IO;
    CompletableFuture<CommandReply> off = command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(off).isCompleted();
    assertThat(vm.cleanReasons())
        .as("a shutdown cannot reach a paused guest: destroyed")
        .contains("OFFLINE_INEFFECTIVE");
    assertThat(off.join().status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(off.join().status().guestActive()).as("answered once it is gone").isFalse();
    assertThat(vm.count(EntryPoint.ONLINE)).isZero();
  }

  @Test
  void anOfflineWhoseCleanFailsAnswersThatTheGuestIsStillActive() {
    add(spec());
    vm.pausedOnIoError = true;
    vm.vm = PAUSED_IO;
    vm.cleanFails = true;
    CompletableFuture<CommandReply> off = command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(off).isCompleted();
    assertThat(vm.count(EntryPoint.CLEAN)).isPositive();
    assertThat(off.join().status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(off.join().status().guestActive())
        .as("OFFLINE, but not stopped: the engine's stop must fail")
        .isTrue();
    assertThat(vm.count(EntryPoint.ONLINE)).isZero();
  }

  @Test
  void anOfflineOfAFaultedResourceIsAnsweredAndTheEnginesCleanFinishesIt() {
    vm.vm = PAUSED_IO;
    vm.pausedOnIoError = true;
    add(spec()); // cleaned and FAULTED
    vm.pausedOnIoError = true; // started by hand since, paused again
    vm.vm = PAUSED_IO;
    CompletableFuture<CommandReply> off = command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(off).as("never left waiting while nothing automatic may run").isCompleted();
    assertThat(off.join().status().guestActive()).as("not gone: the stop must go on").isTrue();
    CompletableFuture<CommandReply> clean = command(Invocation.clean(CleanReason.OFFLINE_HUNG));
    assertThat(clean).isCompleted();
    assertThat(status().guestActive()).isFalse();
    assertThat(vm.count(EntryPoint.ONLINE)).isZero();
  }

  @Test
  void anOnlineOfAGuestPausedOnAnIoErrorHereCleansItAtTheFirstMonitorAndFaults() {
    add(spec());
    vm.pausedOnIoError = true;
    vm.vm = PAUSED_IO;
    CompletableFuture<CommandReply> on = command(Invocation.of(EntryPoint.ONLINE));
    advance(Duration.ofSeconds(6)); // DelayAfterGuestOnline of the fake: the first monitor
    assertThat(on).isCompleted();
    assertThat(on.join().status().state()).isNotEqualTo(ResourceState.ONLINE);
    assertThat(vm.cleanReasons())
        .as("not OnlineWaitLimit intervals later: the first monitor saw it cannot come up")
        .containsExactly("ONLINE_INEFFECTIVE");
    assertThat(vm.count(EntryPoint.ONLINE)).as("one start, no second qemu").isEqualTo(1);
    assertThat(status().flag()).contains(FrameworkState.FAULTED);
    assertThat(status().guestActive()).isFalse();
  }

  @Test
  void withFailoverOnIoErrorOffTheGuestIsOnlineAndNeverCleanedAtTheProbe() {
    vm.vm = MonitorResult.online(20, "fake: paused (I/O error), kept online");
    vm.pausedOnIoError = true;
    add(spec("FailoverOnIOError", "0"));
    advance(Duration.ofMinutes(10));
    assertThat(vm.cleanReasons()).isEmpty();
    assertThat(status().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(status().guestActive()).isFalse();
  }
}
