package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A failed validation can be stale when the engine acts: the shared storage holding the guest's
 * definition mounted after the probe. An engine start, migrate or clean then validates afresh and
 * is judged on that, not refused on the old word (a refused start is a fatal error to Pacemaker, in
 * the middle of a failover). The gate at start still refuses it if the environment is still broken.
 */
class StaleInvalidTest extends FrameworkHarness {
  @BeforeEach
  void probedWhileTheSharedStorageWasNotMounted() {
    vm.invalid = "GuestConfigFilePath /shared/vm1.xml does not exist";
    vm.vm = MonitorResult.offline("libvirt: shut off");
    add(spec());
    assertThat(status().state()).isEqualTo(ResourceState.UNKNOWN);
  }

  @Test
  void anEngineStartAfterTheStorageCameBackValidatesAfreshAndStarts() {
    vm.invalid = null; // mounted since
    vm.vm = MonitorResult.online(100, "libvirt: running (booted)");
    CompletableFuture<CommandReply> online = command(Invocation.of(EntryPoint.ONLINE));
    advance(java.time.Duration.ofSeconds(5));
    assertThat(online).isCompleted();
    assertThat(online.join().exec()).as(online.join().reason()).isEqualTo(ExecStatus.DONE);
    assertThat(vm.calls)
        .extracting(Invocation::entryPoint)
        .as("a fresh validation came before the online")
        .containsSubsequence(EntryPoint.OPEN, EntryPoint.ONLINE);
  }

  @Test
  void anEngineStartWhileStillBrokenIsRefusedByItsOwnValidationAndNeverRuns() {
    CompletableFuture<CommandReply> online = command(Invocation.of(EntryPoint.ONLINE));
    advance(java.time.Duration.ofSeconds(5));
    assertThat(online)
        .as("refused by the gate, on the validation made for it")
        .isCompletedExceptionally();
    assertThatThrownBy(online::join).hasMessageContaining("does not exist");
    assertThat(vm.calls).extracting(Invocation::entryPoint).doesNotContain(EntryPoint.ONLINE);
    long opens = vm.calls.stream().filter(i -> i.entryPoint() == EntryPoint.OPEN).count();
    assertThat(opens).as("validated again for the start").isGreaterThanOrEqualTo(2);
  }
}
