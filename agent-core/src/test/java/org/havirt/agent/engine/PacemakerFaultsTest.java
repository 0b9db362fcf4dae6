package org.havirt.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.havirt.agent.core.ResourceStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PacemakerFaultsTest {
  final LinkedBlockingQueue<List<String>> calls = new LinkedBlockingQueue<>();
  final PacemakerFaults faults =
      new PacemakerFaults(
          (argv, deadline) -> {
            calls.add(argv);
            return 0;
          });

  @AfterEach
  void close() {
    faults.close();
  }

  static ResourceStatus status(String name, ResourceState state, FrameworkState flag) {
    return new ResourceStatus(
        name,
        "KVMGuest",
        state,
        state == ResourceState.ONLINE ? 100 : 0,
        "libvirt: shut off (crashed)",
        Optional.ofNullable(flag),
        "ONLINE",
        Optional.empty(),
        Optional.of(Instant.EPOCH),
        1);
  }

  /** The next call, or null when none came within {@code wait}. */
  List<String> next(Duration wait) throws InterruptedException {
    return calls.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void aFaultOfABoundResourceIsReportedOnce() throws Exception {
    faults.bind("hv", new PacemakerFaults.Binding("vm-web", "node1"));
    faults.onStatus(status("hv", ResourceState.ONLINE, null));
    faults.onStatus(status("hv", ResourceState.OFFLINE, FrameworkState.FAULTED));
    faults.onStatus(status("hv", ResourceState.OFFLINE, FrameworkState.FAULTED)); // republished
    assertThat(next(Duration.ofSeconds(5)))
        .containsExactly("crm_resource", "--fail", "--resource", "vm-web", "--node", "node1");
    // Cleared and faulted again: a new fault, reported again.
    faults.onStatus(status("hv", ResourceState.OFFLINE, null));
    faults.onStatus(status("hv", ResourceState.OFFLINE, FrameworkState.FAULTED));
    assertThat(next(Duration.ofSeconds(5))).isNotNull();
    assertThat(next(Duration.ofMillis(200))).as("the republished fault").isNull();
  }

  @Test
  void nothingIsReportedWithoutABindingOrAFault() throws Exception {
    faults.onStatus(status("other", ResourceState.OFFLINE, FrameworkState.FAULTED));
    faults.bind("hv", new PacemakerFaults.Binding("vm-web", "node1"));
    faults.onStatus(status("hv", ResourceState.OFFLINE, null)); // a stop or a migration away
    faults.onStatus(status("hv", ResourceState.UNKNOWN, FrameworkState.FAULTED)); // uncertain
    faults.unbind("hv");
    faults.onStatus(status("hv", ResourceState.OFFLINE, FrameworkState.FAULTED));
    assertThat(next(Duration.ofMillis(300))).isNull();
  }

  @Test
  void aHungCommandDoesNotBlockTheCaller() {
    PacemakerFaults slow =
        new PacemakerFaults(
            (argv, deadline) -> {
              try {
                Thread.sleep(deadline.toMillis()); // a hung crm_resource
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return -1;
            });
    try {
      slow.bind("hv", new PacemakerFaults.Binding("vm-web", "node1"));
      // The caller is the agent's status thread: it must not wait for the command.
      assertTimeoutPreemptively(
          Duration.ofSeconds(5),
          () -> slow.onStatus(status("hv", ResourceState.OFFLINE, FrameworkState.FAULTED)));
    } finally {
      slow.close();
    }
  }
}
