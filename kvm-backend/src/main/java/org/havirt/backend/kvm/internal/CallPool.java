package org.havirt.backend.kvm.internal;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.libvirt.LibvirtException;

/**
 * Runs blocking libvirt calls on a bounded pool so the caller waits no longer than its deadline. A
 * call stuck in libvirt (hung daemon, hung qemu monitor) keeps its pool thread until libvirt's
 * keepalive gives up, but its caller returns at the deadline with TIMED_OUT. When every thread is
 * stuck, new calls fail at once with TRANSIENT instead of queueing behind them. Thread-safe.
 */
public final class CallPool implements AutoCloseable {
  /** A libvirt call. */
  @FunctionalInterface
  public interface Call<T> {
    T run() throws LibvirtException, BackendException;
  }

  private final ThreadPoolExecutor pool;

  public CallPool(int threads) {
    AtomicInteger n = new AtomicInteger();
    pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(threads * 4),
            r -> {
              Thread t = new Thread(r, "havirt-libvirt-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
  }

  /** Runs {@code call}, waiting at most until {@code deadline}. {@code what} names it in errors. */
  public <T> T run(String what, Deadline deadline, Call<T> call) throws BackendException {
    if (deadline.isExpired()) {
      throw new BackendException(
          BackendException.Kind.TIMED_OUT, what + ": no time left before the deadline");
    }
    Future<T> f = submit(what, call);
    try {
      return f.get(Math.max(1, deadline.remaining().toNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new BackendException(
          BackendException.Kind.TIMED_OUT, what + ": libvirt did not answer before the deadline");
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException(BackendException.Kind.TRANSIENT, what + ": interrupted");
    } catch (ExecutionException e) {
      throw unwrap(what, e);
    }
  }

  /**
   * Starts {@code call} without waiting, for long operations (migration) whose caller decides
   * itself what to do at the deadline. Fails at once with TRANSIENT when the pool is full.
   */
  public <T> Future<T> submit(String what, Call<T> call) throws BackendException {
    try {
      return pool.submit(() -> call.run());
    } catch (RejectedExecutionException e) {
      throw new BackendException(
          BackendException.Kind.TRANSIENT,
          what
              + ": libvirt calls are backed up ("
              + pool.getActiveCount()
              + " in progress); libvirtd may be hung");
    }
  }

  /** Turns what a submitted call threw into a BackendException. */
  public static BackendException unwrap(String what, ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof BackendException be) {
      return be;
    }
    if (cause instanceof LibvirtException le) {
      return Errors.convert(what, le);
    }
    return new BackendException(BackendException.Kind.FAILED, what + ": " + cause, cause);
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
