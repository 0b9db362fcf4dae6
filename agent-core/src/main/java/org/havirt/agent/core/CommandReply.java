package org.havirt.agent.core;

import org.havirt.types.ExecStatus;

/**
 * The answer to an engine command: whether the entry point ran, kept apart from the resource's
 * state afterwards.
 *
 * @param output an action's output; empty otherwise
 */
public record CommandReply(ExecStatus exec, String reason, ResourceStatus status, String output) {}
