package org.havirt.agent.cli;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the agent daemon's process ends: 0 when it is stopped (SIGTERM), non-zero when its engine
 * socket can no longer accept connections, so that systemd ({@code Restart=on-failure}) restarts it
 * instead of keeping a daemon that every engine call fails against.
 */
final class AgentExit {
  private static final Logger log = LoggerFactory.getLogger(AgentExit.class);

  /** The most the shutdown after a socket failure may take before the JVM is halted. */
  static final Duration SHUTDOWN_BOUND = Duration.ofSeconds(10);

  private AgentExit() {}

  /**
   * Waits until the daemon is stopped (returns 0) or its socket dies (returns {@link
   * HavirtMain#EXIT_PROBLEM}). Thread-safe; blocks the caller.
   */
  static int await(CompletableFuture<?> stopped, CompletableFuture<Throwable> socketDead)
      throws InterruptedException {
    CompletableFuture<Integer> end = new CompletableFuture<>();
    stopped.thenRun(() -> end.complete(0));
    socketDead.thenRun(() -> end.complete(HavirtMain.EXIT_PROBLEM));
    try {
      return end.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e); // neither completes exceptionally
    }
  }

  /**
   * Arms a watchdog for an exit with {@code code}: the exit runs the shutdown hooks (which close
   * the daemon), and a close stuck on a hung backend must not keep a dead daemon alive, so after
   * {@code bound} the JVM is halted with the code. The watchdog is a daemon thread; it does nothing
   * if the JVM is gone first. If not even its thread can start (the usual reason a socket died),
   * the JVM is halted at once: an unbounded shutdown is worse than skipping it, which changes no
   * VM.
   */
  static void armHalt(int code, Duration bound, IntConsumer halt) {
    armHalt(code, bound, halt, Thread::new);
  }

  /** As above, with the watchdog's thread made by {@code threads} (tests make one that fails). */
  static void armHalt(int code, Duration bound, IntConsumer halt, ThreadFactory threads) {
    Thread t =
        threads.newThread(
            () -> {
              try {
                Thread.sleep(bound.toMillis());
              } catch (InterruptedException e) {
                return;
              }
              log.error(
                  "agent shutdown took longer than {} ms; halting code={}", bound.toMillis(), code);
              halt.accept(code);
            });
    t.setName("havirt-exit-watchdog");
    t.setDaemon(true);
    try {
      t.start();
    } catch (OutOfMemoryError e) {
      log.error("no thread for the exit watchdog; halting now code={} err={}", code, e.toString());
      halt.accept(code);
    }
  }
}
