package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.havirt.types.EntryPoint;
import org.havirt.types.MonitorResult;
import org.junit.jupiter.api.Test;

/**
 * Bugs the nemesis campaign found (issue 16, docs/reliability.md), each reduced to the framework
 * rules with a manual clock and a fake VM.
 */
@org.junit.jupiter.api.Timeout(
    value = 30,
    threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
class NemesisFindingsTest extends FrameworkHarness {

  /**
   * Seed 2: a migration to this node failed (its source's qemu was killed mid-way), so the incoming
   * copy, paused for the migration, vanished. This node had taken the arriving copy for its own
   * (expected online), judged its end an unexpected offline, cleaned and restarted the guest here:
   * a start no engine asked for, refused only by the peer check when the source still runs it, and
   * a double start if that peer cannot be reached.
   */
  @Test
  void anIncomingMigrationThatFailsLeavesTheTargetAlone() {
    add(spec("RestartLimit", "1"));
    assertThat(status().expected()).isEqualTo("offline");
    vm.vm = MonitorResult.online(10, "fake: paused (migrating)");
    agent.hint("vm1");
    loop.runDue();
    vm.vm = MonitorResult.offline("fake: not defined on this host");
    agent.hint("vm1");
    loop.runDue();
    advance(Duration.ofMinutes(5));

    assertThat(vm.calls.stream().map(Invocation::entryPoint))
        .as("nothing but the open and monitors")
        .containsOnly(EntryPoint.OPEN, EntryPoint.MONITOR);
    assertThat(status().flag()).isEmpty();
    assertThat(status().expected()).isEqualTo("offline");
  }

  /** Once the arrival completes (running), the guest is this node's: a later crash is handled. */
  @Test
  void aGuestIsTakenOnlyOnceItHasArrived() {
    add(spec());
    vm.vm = MonitorResult.online(10, "fake: paused (migrating)");
    agent.hint("vm1");
    loop.runDue();
    assertThat(status().expected()).isEqualTo("offline");
    vm.vm = MonitorResult.online(100, "fake: running (migrated)");
    agent.hint("vm1");
    loop.runDue();
    assertThat(status().expected()).isEqualTo("online");
    vm.vm = MonitorResult.offline("fake: crashed");
    agent.hint("vm1");
    loop.runDue();
    assertThat(vm.cleanReasons()).containsExactly("UNEXPECTED_OFFLINE");
  }
}
