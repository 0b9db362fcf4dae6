package org.havirt.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmEventListener;
import org.havirt.types.state.VmState;
import org.havirt.types.state.VmStatus;
import org.junit.jupiter.api.Test;

/**
 * A monitor that times out is a monitor hang only when the backend's control connection was fine.
 */
class ResourceAgentTest {
  /** A backend whose inspect always times out; its control connection is as the test says. */
  static class FakeHungBackend implements VmBackend {
    final AtomicReference<Optional<String>> trouble = new AtomicReference<>(Optional.empty());
    Duration askedWindow;

    @Override
    public String name() {
      return "fake";
    }

    @Override
    public VmStatus inspect(GuestSpec guest, Deadline deadline) throws BackendException {
      throw new BackendException(BackendException.Kind.TIMED_OUT, "get state: no answer");
    }

    @Override
    public Optional<String> controlTrouble(GuestSpec guest, Duration window, Deadline deadline) {
      askedWindow = window;
      return trouble.get();
    }

    @Override
    public void start(GuestSpec guest, Deadline deadline) {}

    @Override
    public void shutdown(GuestSpec guest, Deadline deadline) {}

    @Override
    public void destroy(GuestSpec guest, Deadline deadline) {}

    @Override
    public void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline) {}

    @Override
    public ActionOutput action(GuestSpec g, String a, List<String> args, Deadline d) {
      return new ActionOutput(true, "");
    }

    @Override
    public AutoCloseable subscribe(VmEventListener listener) {
      return () -> {};
    }

    @Override
    public List<Check> verify(GuestSpec guest, Deadline deadline) {
      return List.of();
    }

    @Override
    public void close() {}
  }

  final FakeHungBackend backend = new FakeHungBackend();
  final ResourceAgent agent = new ResourceAgent(backend, Ticker.SYSTEM);
  final GuestSpec guest =
      new GuestSpec(
          "r1",
          Map.of(
              "GuestName", new AttributeValue.Scalar("vm1"),
              "MonitorTimeout", new AttributeValue.Scalar("2")));

  @Test
  void aTimeoutWhileTheControlConnectionIsHealthyIsAMonitorTimeout() {
    EntryResult r = agent.monitor(guest);
    assertThat(r.exec()).isEqualTo(ExecStatus.TIMED_OUT);
    assertThat(backend.askedWindow).as("asked about the monitor's own time").isNotNull();
  }

  @Test
  void aTimeoutThatTheControlConnectionExplainsIsUnknownAndNotCounted() {
    backend.trouble.set(Optional.of("libvirtd did not answer a keepalive for 3.0 s"));
    EntryResult r = agent.monitor(guest);
    assertThat(r.exec()).as("not a monitor timeout: it must not count").isEqualTo(ExecStatus.DONE);
    assertThat(r.state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(r.reason())
        .contains("get state: no answer")
        .contains("libvirtd did not answer a keepalive for 3.0 s");
  }

  /** A backend that reports {@code state} for every guest. */
  static EntryResult monitorOf(VmState state, String failover) {
    VmBackend fixed =
        new FakeHungBackend() {
          @Override
          public VmStatus inspect(GuestSpec guest, Deadline deadline) {
            return VmStatus.of(state, "paused (I/O error)");
          }
        };
    GuestSpec g =
        new GuestSpec(
            "r1",
            Map.of(
                "GuestName", new AttributeValue.Scalar("vm1"),
                "FailoverOnIOError", new AttributeValue.Scalar(failover)));
    return new ResourceAgent(fixed, Ticker.SYSTEM).monitor(g);
  }

  @Test
  void aGuestPausedOnAnIoErrorIsOfflineButStillActiveHere() {
    EntryResult r = monitorOf(VmState.PAUSED_IO_ERROR, "1");
    assertThat(r.state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(r.guestActive()).as("its qemu is still on this node").isTrue();
    EntryResult kept = monitorOf(VmState.PAUSED_IO_ERROR, "0");
    assertThat(kept.state().orElseThrow().state()).isEqualTo(ResourceState.ONLINE);
    assertThat(kept.guestActive()).as("only ever said of OFFLINE").isFalse();
    for (VmState gone : List.of(VmState.DOWN, VmState.CRASHED, VmState.NOT_DEFINED)) {
      assertThat(monitorOf(gone, "1").guestActive()).as(gone.name()).isFalse();
    }
  }

  @Test
  void aBackendBugIsAFailedEntryPointNeverALostAnswer() throws Exception {
    VmBackend buggy =
        new FakeHungBackend() {
          @Override
          public VmStatus inspect(GuestSpec guest, Deadline deadline) {
            throw new IllegalStateException("a bug in the backend");
          }
        };
    org.havirt.types.backend.VmBackendFactory factory =
        new org.havirt.types.backend.VmBackendFactory() {
          @Override
          public String name() {
            return "fake";
          }

          @Override
          public boolean serves(GuestSpec guest) {
            return true;
          }

          @Override
          public VmBackend create(Settings settings) {
            return buggy;
          }
        };
    try (org.havirt.agent.core.BackendEntryRunner runner =
        new org.havirt.agent.core.BackendEntryRunner(
            new org.havirt.agent.backend.Backends(
                new org.havirt.types.backend.VmBackendFactory.Settings(Map.of()), List.of(factory)),
            Ticker.SYSTEM,
            s -> s,
            1)) {
      EntryResult r =
          runner
              .run(
                  guest,
                  org.havirt.agent.core.Invocation.of(org.havirt.types.EntryPoint.MONITOR),
                  () -> {})
              .get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
      assertThat(r.reason()).contains("a bug in the backend");
    }
  }
}
