package org.havirt.agent.core;

import java.time.Instant;
import java.util.Optional;
import org.havirt.types.FrameworkState;
import org.havirt.types.ResourceState;

/**
 * What the agent says about one resource at one moment.
 *
 * @param flag FAULTED or ADMIN_WAIT when the framework declared one
 * @param expected what the engine last asked for: online, offline, or none
 * @param busy the entry point running now, if any
 * @param lastMonitor when the last monitor finished; empty before the first
 * @param guestActive the state is OFFLINE, yet the last monitor found the guest's process still on
 *     this node (paused on an I/O error with FailoverOnIOError = 1): not stopped; always false with
 *     any other state
 * @param seq the agent-wide sequence number of this change
 */
public record ResourceStatus(
    String name,
    String type,
    ResourceState state,
    int confidence,
    String reason,
    Optional<FrameworkState> flag,
    String expected,
    Optional<String> busy,
    Optional<Instant> lastMonitor,
    boolean guestActive,
    long seq) {

  /** A status whose guest, if OFFLINE, has no process left on this node. */
  public ResourceStatus(
      String name,
      String type,
      ResourceState state,
      int confidence,
      String reason,
      Optional<FrameworkState> flag,
      String expected,
      Optional<String> busy,
      Optional<Instant> lastMonitor,
      long seq) {
    this(name, type, state, confidence, reason, flag, expected, busy, lastMonitor, false, seq);
  }
}
