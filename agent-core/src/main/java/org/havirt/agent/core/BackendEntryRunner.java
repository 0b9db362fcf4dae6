package org.havirt.agent.core;

import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.havirt.agent.backend.Backends;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.types.CleanReason;
import org.havirt.types.ExecStatus;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;

/**
 * Runs entry points through the backends on a bounded pool of workers. Backend calls carry their
 * own deadlines, so a worker is never held much past an entry point's timeout.
 */
public final class BackendEntryRunner implements EntryRunner, AutoCloseable {
  private final Backends backends;
  private final Ticker ticker;
  private final Function<String, String> hypervisorOf;
  private final ThreadPoolExecutor workers;
  private final Map<VmBackend, ResourceAgent> agents = new ConcurrentHashMap<>();

  /**
   * @param hypervisorOf maps a target system to its hypervisor host (PhysicalServer, else name)
   * @param threads how many entry points may run at once (VCS NumThreads)
   */
  public BackendEntryRunner(
      Backends backends, Ticker ticker, Function<String, String> hypervisorOf, int threads) {
    this.backends = backends;
    this.ticker = ticker;
    this.hypervisorOf = hypervisorOf;
    AtomicInteger n = new AtomicInteger();
    this.workers =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(100_000),
            r -> {
              Thread t = new Thread(r, "havirt-entry-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.workers.allowCoreThreadTimeOut(true);
  }

  @Override
  public CompletableFuture<EntryResult> run(GuestSpec guest, Invocation inv) {
    return run(guest, inv, () -> {});
  }

  /** {@code started} runs when a worker picks the entry point up: its clock starts then. */
  @Override
  public CompletableFuture<EntryResult> run(GuestSpec guest, Invocation inv, Runnable started) {
    CompletableFuture<EntryResult> f = new CompletableFuture<>();
    try {
      workers.execute(
          () -> {
            started.run();
            try {
              f.complete(runNow(guest, inv));
            } catch (RuntimeException | Error e) {
              // Never lose the answer: a future left open would hold the resource forever.
              f.complete(
                  new EntryResult(
                      inv.entryPoint(),
                      ExecStatus.FAILED,
                      java.util.Optional.empty(),
                      0,
                      "internal error: " + e,
                      ""));
            }
          });
    } catch (RejectedExecutionException e) {
      f.complete(
          new EntryResult(
              inv.entryPoint(),
              ExecStatus.FAILED,
              java.util.Optional.empty(),
              0,
              "too many entry points queued",
              ""));
    }
    return f;
  }

  private EntryResult runNow(GuestSpec guest, Invocation inv) {
    VmBackend backend = backends.forGuest(guest).orElse(null);
    if (backend == null) {
      return new EntryResult(
          inv.entryPoint(),
          ExecStatus.UNSUPPORTED,
          java.util.Optional.empty(),
          0,
          "no backend serves this resource on this node",
          "");
    }
    ResourceAgent a = agents.computeIfAbsent(backend, b -> new ResourceAgent(b, ticker));
    return switch (inv.entryPoint()) {
      case MONITOR -> a.monitor(guest);
      case ONLINE -> a.online(guest);
      case OFFLINE -> a.offline(guest);
      case CLEAN -> a.clean(guest, inv.cleanReason().orElse(CleanReason.UNEXPECTED_OFFLINE));
      case MIGRATE -> {
        String target = inv.target().orElseThrow();
        yield a.migrate(guest, new MigrationTarget(target, hypervisorOf.apply(target)));
      }
      case ACTION -> a.action(guest, inv.action().orElseThrow(), inv.args());
      case OPEN, ATTR_CHANGED -> {
        // Both run the environment validation (spec §8): a failure makes the resource UNKNOWN.
        org.havirt.agent.verify.Verification v =
            org.havirt.agent.verify.Verifier.verify(
                guest,
                java.util.Optional.of(backend),
                backends.names(),
                org.havirt.types.Deadline.in(
                    FrameworkParams.timeout(guest, inv.entryPoint()), ticker));
        yield v.passed()
            ? EntryResult.done(inv.entryPoint(), v.headline())
            : new EntryResult(
                inv.entryPoint(),
                ExecStatus.FAILED,
                java.util.Optional.empty(),
                0,
                v.firstFailure().orElseThrow().line(),
                v.report(),
                v.guestAbsent());
      }
      case CLOSE -> EntryResult.done(inv.entryPoint(), "close done");
    };
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }
}
