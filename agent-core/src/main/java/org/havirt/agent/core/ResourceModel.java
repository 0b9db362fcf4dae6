package org.havirt.agent.core;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import org.havirt.types.FrameworkState;
import org.havirt.types.ResourceState;
import org.havirt.types.backend.GuestSpec;

/**
 * Everything the framework knows about one resource: the state {@link ResourceRules} reads and
 * changes. Plain data with no behaviour beyond {@link #status}; owned by one thread (the loop, or a
 * test).
 */
final class ResourceModel {
  /** What the engine expects of the resource. */
  enum Expect {
    NONE,
    ONLINE,
    OFFLINE
  }

  /** What the framework is in the middle of. */
  enum Phase {
    IDLE,
    ONLINE_WAIT,
    OFFLINE_WAIT
  }

  /**
   * The entry point that holds the resource: one at a time, even past its timeout.
   *
   * @param intent the engine intent it was started under
   * @param expectBefore a migrate's expectation before it started, restored if it fails
   */
  static final class Running {
    final long id;
    final Invocation invocation;
    final boolean fromEngine;
    final Expect expectBefore;

    /** A worker began it: its timeout clock runs. */
    boolean started;

    /** Its timeout passed and it has not returned: judged as timed out, still holding the slot. */
    boolean stuck;

    /** Delete or disable came meanwhile: its result is not judged. */
    boolean orphaned;

    Running(long id, Invocation invocation, boolean fromEngine, Expect expectBefore) {
      this.id = id;
      this.invocation = invocation;
      this.fromEngine = fromEngine;
      this.expectBefore = expectBefore;
    }
  }

  /**
   * An entry point waiting for its turn.
   *
   * @param caller who waits for its answer, 0 for nobody
   * @param intent the engine intent it belongs to: an automatic follow-up of an older intent is
   *     dropped when it would start
   */
  record Queued(Invocation invocation, long caller, boolean fromEngine, long intent) {}

  /** A failed clean to retry, with the intent it served. */
  record Retry(Invocation invocation, boolean fromEngine, long intent) {}

  final String name;
  final String type;
  GuestSpec spec;
  FrameworkParams params;

  ResourceState state = ResourceState.UNKNOWN;
  int confidence;
  String reason = "not probed yet";
  Optional<FrameworkState> flag = Optional.empty();
  Expect expected = Expect.NONE;
  Phase phase = Phase.IDLE;
  Optional<Instant> lastMonitor = Optional.empty();

  /** Whether the last monitor was a counted timeout (the one state a monitor-hung clean serves). */
  boolean lastMonitorTimedOut;

  Running running;
  final Deque<Queued> queue = new ArrayDeque<>();
  boolean monitorWanted;
  final Callers callers = new Callers();

  /** The token of each armed timer; a firing with another token is stale. */
  final Map<TimerKind, Long> timers = new EnumMap<>(TimerKind.class);

  Retry retry;

  /** The retry's time has come: the next monitor's result decides it. */
  boolean retryDue;

  boolean enabled;
  boolean deleted;
  final java.util.List<Long> deleteCallers = new java.util.ArrayList<>();

  /** The first failed validation check while the environment is invalid (spec §8). */
  Optional<String> invalid = Optional.empty();

  /**
   * The last validation failed only because the guest is certainly not on this node (issue 14.3).
   * Serves the one round that follows it: the next monitor consumes it, so no answer ever carries
   * an older validation's word.
   */
  boolean guestAbsent;

  /**
   * The last monitor found the guest OFFLINE with its process still on this node (paused on an I/O
   * error with FailoverOnIOError = 1): not stopped. Set by every monitor that answered.
   */
  boolean guestActive;

  /**
   * The engine's last command here that changes the VM stopped it (offline, clean): a guest that
   * runs here since was started outside the engine, and is never restarted automatically.
   */
  boolean engineStopped;

  /** Bumped by every engine command that acts: automatic work of an older intent is stale. */
  long intent;

  long nextId = 1;

  int waitMonitors;
  int tolerance;
  int restarts;
  int onlineRetries;
  int monitorTimeouts;
  int cleanFailures;
  long onlineSince;

  ResourceModel(String name, String type, GuestSpec spec) {
    this.name = name;
    this.type = type;
    this.spec = spec;
    this.params = FrameworkParams.of(spec);
  }

  ResourceStatus status(long seq) {
    return new ResourceStatus(
        name,
        type,
        state,
        confidence,
        reason,
        flag,
        expected.name().toLowerCase(java.util.Locale.ROOT),
        Optional.ofNullable(running).map(r -> r.invocation.entryPoint().scriptName()),
        lastMonitor,
        guestActive && state == ResourceState.OFFLINE,
        seq);
  }
}
