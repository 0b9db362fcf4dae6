package org.havirt.agent.core;

import org.havirt.types.ExecStatus;

/**
 * The answer to an engine command: whether the entry point ran, kept apart from the resource's
 * state afterwards.
 *
 * @param output an action's output; empty otherwise
 * @param guestAbsent the validation that ran for this answer (a verify's, the one a monitor of an
 *     invalid resource runs first, or the one that settled an offline) failed only because the
 *     guest is certainly not on this node; for a monitor, the monitor itself also found it not
 *     running. False whenever anything was uncertain: see docs/protocol.md, {@code guestAbsent}
 */
public record CommandReply(
    ExecStatus exec, String reason, ResourceStatus status, String output, boolean guestAbsent) {
  public CommandReply(ExecStatus exec, String reason, ResourceStatus status, String output) {
    this(exec, reason, status, output, false);
  }
}
