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
    long seq) {}
