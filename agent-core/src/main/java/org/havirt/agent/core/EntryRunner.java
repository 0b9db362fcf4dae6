package org.havirt.agent.core;

import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.backend.GuestSpec;

/**
 * Runs entry points off the control loop. The future completes on any thread; the agent hands the
 * result back to the loop itself. Implementations must be thread-safe and must never complete a
 * future exceptionally: every failure is an {@link EntryResult}.
 */
public interface EntryRunner {
  CompletableFuture<EntryResult> run(GuestSpec guest, Invocation invocation);
}
