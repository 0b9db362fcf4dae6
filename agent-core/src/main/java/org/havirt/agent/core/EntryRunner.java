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

  /**
   * Like {@link #run(GuestSpec, Invocation)}, and calls {@code started} (on any thread) at the
   * moment the entry point really begins: a worker picked it up. The framework's timeout clock
   * starts then, not when the entry point was queued (spec §5: a busy pool must not time out entry
   * points that never ran). The default begins at once.
   */
  default CompletableFuture<EntryResult> run(
      GuestSpec guest, Invocation invocation, Runnable started) {
    started.run();
    return run(guest, invocation);
  }
}
