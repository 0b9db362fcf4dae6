package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.Test;

/**
 * A modify that changes nothing: every Pacemaker start sends one (the wrapper brings the attributes
 * up to date), and the online right behind it must not queue behind a monitor that nothing asked
 * for.
 */
class ModifyUnchangedTest extends FrameworkHarness {
  @Test
  void aModifyWithTheSameAttributesRunsNoMonitorAndTheOnlineRunsAtOnce() {
    add(spec());
    long monitors = vm.count(EntryPoint.MONITOR);
    vm.hangMonitors = true; // a monitor started now would hold the online behind it

    agent.modify("r1", spec());
    loop.runDue();
    CompletableFuture<CommandReply> reply = command(Invocation.of(EntryPoint.ONLINE));

    assertThat(vm.count(EntryPoint.MONITOR))
        .as("no monitor for an unchanged spec")
        .isEqualTo(monitors);
    assertThat(vm.count(EntryPoint.ONLINE)).as("the online ran at once").isEqualTo(1);
    vm.hangMonitors = false;
    vm.vm = MonitorResult.online(100, "fake: running");
    agent.hint("vm1"); // the guest's start event
    loop.runDue();
    assertThat(reply).isCompleted();
    assertThat(reply.join().exec()).isEqualTo(ExecStatus.DONE);
    assertThat(reply.join().status().state()).isEqualTo(ResourceState.ONLINE);
  }

  @Test
  void aModifyThatChangesAnAttributeStillMonitors() {
    add(spec());
    long monitors = vm.count(EntryPoint.MONITOR);

    agent.modify("r1", spec("MonitorInterval", "30"));
    loop.runDue();

    assertThat(vm.count(EntryPoint.MONITOR)).isEqualTo(monitors + 1);
  }
}
