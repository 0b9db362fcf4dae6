package org.havirt.agent.core;

import org.havirt.agent.resource.EntryResult;
import org.havirt.types.backend.GuestSpec;

/**
 * Something that happens to one resource: the input of {@link ResourceRules}. Caller ids name the
 * clients waiting for an answer ({@code 0}: nobody waits); run ids name one start of an entry
 * point.
 */
sealed interface Event {
  /** The resource is added: open, then probe. */
  record Open() implements Event {}

  /** New attribute values. */
  record Modify(GuestSpec spec) implements Event {}

  /** Stop managing; {@code caller} waits for the close. */
  record Delete(long caller) implements Event {}

  /** An engine command; {@code caller} waits for its answer. */
  record Command(Invocation invocation, long caller) implements Event {}

  /** Clear FAULTED or ADMIN_WAIT. */
  record Clear() implements Event {}

  /** A backend hint that the VM may have changed: monitor now. */
  record Hint() implements Event {}

  /** A worker began running entry point {@code run}: its timeout clock starts now. */
  record Started(long run) implements Event {}

  /** Entry point {@code run} returned {@code result}. */
  record Finished(long run, EntryResult result) implements Event {}

  /** The timer of {@code kind} armed with {@code token} fired. */
  record TimerFired(TimerKind kind, long token) implements Event {}
}
