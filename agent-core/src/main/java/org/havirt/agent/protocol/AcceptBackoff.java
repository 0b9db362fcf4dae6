package org.havirt.agent.protocol;

import java.time.Duration;

/**
 * How long the accept loop waits after a failed accept: 10 ms, doubling up to 1 s, from 10 ms again
 * after an accept works. A burst of EMFILE never spins a CPU, and a short one costs milliseconds.
 * Not thread-safe: the accept thread owns it.
 */
final class AcceptBackoff {
  static final Duration FIRST = Duration.ofMillis(10);
  static final Duration MAX = Duration.ofSeconds(1);

  private Duration next = FIRST;
  private long failures;

  /** Counts a failure; returns how long to wait before the next accept. */
  Duration failed() {
    failures++;
    Duration wait = next;
    next = next.multipliedBy(2).compareTo(MAX) > 0 ? MAX : next.multipliedBy(2);
    return wait;
  }

  /** Failures since the last accept that worked. */
  long failures() {
    return failures;
  }

  /** An accept worked: the next burst starts from the first wait. */
  void succeeded() {
    failures = 0;
    next = FIRST;
  }
}
