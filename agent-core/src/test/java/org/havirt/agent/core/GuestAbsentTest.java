package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14.3: an answer says the guest is certainly not on this node ({@code guestAbsent}) only
 * from the validation of its own round, and for a monitor only when the monitor agrees it does not
 * run. The resource itself stays UNKNOWN: nothing in the framework acts on the fact.
 */
class GuestAbsentTest extends FrameworkHarness {
  @BeforeEach
  void aGuestNotDefinedHereWithNoDefinitionFile() {
    vm.invalid = "guest ghost is not defined in libvirtd and no configuration file gives it";
    vm.absent = true;
    vm.vm = MonitorResult.offline("libvirt: not defined on this host");
    add(spec());
  }

  CommandReply monitor() {
    CompletableFuture<CommandReply> f = command(Invocation.of(EntryPoint.MONITOR));
    assertThat(f).isCompleted();
    return f.join();
  }

  @Test
  void aProbeOfAGuestCertainlyNotHereSaysSoAndTheResourceStaysUnknown() {
    CommandReply r = monitor();
    assertThat(r.guestAbsent()).isTrue();
    assertThat(r.status().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(vm.calls)
        .extracting(Invocation::entryPoint)
        .as("the probe validated afresh, then monitored")
        .containsExactly(EntryPoint.OPEN, EntryPoint.OPEN, EntryPoint.MONITOR);
    assertThat(vm.cleanReasons()).isEmpty();
  }

  @Test
  void aLaterProbeNeverRepeatsAnOlderValidationsWord() {
    assertThat(monitor().guestAbsent()).isTrue();
    // libvirtd stops answering: the next probe's own validation is not certain any more.
    vm.absent = false;
    vm.invalid = "cannot reach libvirtd at test:///x";
    assertThat(monitor().guestAbsent()).isFalse();
    vm.absent = true;
    vm.invalid = "guest ghost is not defined in libvirtd and no configuration file gives it";
    assertThat(monitor().guestAbsent()).isTrue();
  }

  @Test
  void aMonitorThatSeesTheGuestRunningOrCannotTellOverrulesTheValidation() {
    vm.vm = MonitorResult.online(100, "libvirt: running (booted)"); // defined and started since
    assertThat(monitor().guestAbsent()).isFalse();
    vm.vm = MonitorResult.unknown("libvirt: call timed out");
    assertThat(monitor().guestAbsent()).isFalse();
    vm.monitorTimesOut = true;
    assertThat(monitor().guestAbsent()).isFalse();
  }

  @Test
  void aVerifyAnswersItsOwnValidationsWord() {
    CompletableFuture<CommandReply> v = command(Invocation.of(EntryPoint.OPEN));
    assertThat(v.join().guestAbsent()).isTrue();
    vm.absent = false;
    assertThat(command(Invocation.of(EntryPoint.OPEN)).join().guestAbsent()).isFalse();
  }

  @Test
  void anOfflineWhileInvalidIsAnsweredByTheValidationThatFollowsIt() {
    // Its probe is a validation, and no monitor follows: that validation settles it.
    CompletableFuture<CommandReply> off = command(Invocation.of(EntryPoint.OFFLINE));
    assertThat(off).as("answered without waiting for another command").isCompleted();
    assertThat(off.join().guestAbsent()).isTrue();
    assertThat(off.join().status().state()).isEqualTo(ResourceState.UNKNOWN);
    vm.absent = false;
    assertThat(command(Invocation.of(EntryPoint.OFFLINE)).join().guestAbsent()).isFalse();
  }

  @Test
  void aValidationUnderWayWhenTheProbeArrivesIsNotItsValidation() {
    // The resource was just added: its validation is still running when the probe arrives, and
    // it will say "absent". The probe's own validation, made after, is no longer certain.
    vm.hangOnly = EntryPoint.OPEN;
    agent.add("r2", "KVMGuest", spec());
    loop.runDue();
    CompletableFuture<CommandReply> f = agent.command("r2", Invocation.of(EntryPoint.MONITOR));
    loop.runDue();
    vm.hangOnly = null;
    vm.absent = false;
    vm.held
        .remove(0)
        .complete(
            new EntryResult(
                EntryPoint.OPEN, ExecStatus.FAILED, Optional.empty(), 0, vm.invalid, "", true));
    loop.runDue();
    loop.runDue();
    assertThat(f).isCompleted();
    assertThat(vm.count(EntryPoint.OPEN)).as("r1's, r2's at add, r2's probe's").isEqualTo(3);
    assertThat(f.join().guestAbsent()).as("the probe's own validation decides").isFalse();
  }

  @Test
  void aValidResourceNeverSaysSo() {
    vm.invalid = null;
    vm.absent = false;
    CommandReply r = monitor();
    assertThat(r.status().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(r.guestAbsent()).isFalse();
  }
}
