package org.havirt.agent.core;

import java.time.Duration;
import org.havirt.types.ExecStatus;
import org.havirt.types.backend.GuestSpec;

/**
 * What {@link ResourceRules} asks the executor ({@link ManagedResource}) to do, in order. Effects
 * are plain data, so a test can check every decision without running anything.
 */
sealed interface Effect {
  /** Run entry point {@code invocation} as run {@code run}; report Started, then Finished. */
  record Run(long run, Invocation invocation, GuestSpec spec) implements Effect {}

  /** (Re)arm the one timer of {@code kind}: it fires with {@code token} after {@code after}. */
  record Arm(TimerKind kind, long token, Duration after) implements Effect {}

  /** Cancel the timer of {@code kind}, if armed. */
  record Disarm(TimerKind kind) implements Effect {}

  /**
   * Answer {@code caller}: the entry point's own outcome, next to the resource's state; {@code
   * guestAbsent}: this round's validation found the guest certainly not on this node.
   */
  record Answer(long caller, ExecStatus exec, String reason, String output, boolean guestAbsent)
      implements Effect {
    Answer(long caller, ExecStatus exec, String reason, String output) {
      this(caller, exec, reason, output, false);
    }
  }

  /** Refuse {@code caller}: the command was not run (or its outcome will not be judged). */
  record Refuse(long caller, String code, String message) implements Effect {}

  /** Tell subscribers, if the engine-visible state changed. */
  record Publish() implements Effect {}

  /** The resource is gone: drop it from the agent. */
  record Forget() implements Effect {}

  /** A log line; {@code warn} for what an operator should look at. */
  record Log(boolean warn, String message) implements Effect {}
}
