package org.havirt.backend.kvm.internal;

import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.VmEventListener;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to one libvirtd, kept alive. Every libvirt call runs through {@link #call}, which
 * holds the connection for the call's whole life, even past its caller's deadline: a replaced
 * connection is closed only after its last call returned (see {@link Generation}).
 *
 * <p>One reconnect loop, on a thread of its own, does every connection attempt: callers finding the
 * connection down never attempt themselves, so a hundred monitors during a libvirtd restart make
 * one attempt, not a hundred, and only the loop's own failed attempts grow its backoff (issue 13,
 * point 11: they used to double one shared backoff each, up to 30 s of blindness). While backing
 * off, the loop watches libvirtd's socket every {@link #SOCKET_POLL} and tries at once when it
 * reappears. Every connection is announced to the listener as "anything may have changed" so the
 * agent re-probes everything.
 *
 * <p>A liveness probe (a cheap RPC) runs every {@link #PROBE_EVERY} on another thread of its own
 * (not the call pool, which stuck calls may fill); its record answers {@link #trouble}.
 * Thread-safe.
 */
public final class LibvirtSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LibvirtSession.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration SOCKET_POLL = Duration.ofMillis(100);
  private static final Duration PROBE_EVERY = Duration.ofMillis(250);

  /** How long a call waits for a connection attempt in progress before it reports TRANSIENT. */
  private static final Duration CALLER_WAIT = Duration.ofSeconds(1);

  /** How long {@link #close} waits for calls still inside libvirt before it leaves them. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  /** A libvirt call on the session's connection. */
  @FunctionalInterface
  public interface ConnCall<T> {
    T run(Connect conn) throws LibvirtException, BackendException;
  }

  private enum Phase {
    /** Connected, or nobody asked for a connection yet. */
    IDLE,
    /** The loop is about to try. */
    DUE,
    /** The loop is opening a connection. */
    OPENING,
    /** The last attempt failed; the loop waits for its backoff or for the socket. */
    BACKOFF
  }

  private final String uri;
  private final CallPool pool;
  private final VmEventListener listener;
  private final DomainEvents events;
  private final SocketWatch socket;
  private final Liveness liveness;

  // guarded by this
  private Generation current;
  private final Set<Generation> unclosed = new HashSet<>();
  private boolean closed;
  private boolean threadsStarted;
  private Phase phase = Phase.IDLE;
  private long backoffNanos = MIN_BACKOFF.toNanos();
  private String lastFailure = "not connected yet";

  public LibvirtSession(String uri, CallPool pool, Ticker ticker, VmEventListener listener) {
    this.uri = uri;
    this.pool = pool;
    this.listener = listener;
    this.events = new DomainEvents(ticker, listener);
    this.socket = SocketWatch.forUri(uri);
    this.liveness = new Liveness(ticker);
  }

  public String uri() {
    return uri;
  }

  /**
   * Runs {@code call} on the pool with the live connection, waiting at most until {@code deadline};
   * TRANSIENT while libvirtd is away. The connection stays held until the call returns from
   * libvirt, even when its caller has given up at the deadline.
   */
  public <T> T call(String what, Deadline deadline, ConnCall<T> call) throws BackendException {
    Generation g = acquire(deadline.atMost(CALLER_WAIT));
    // 0 queued, 1 running, 2 given up before it ran: exactly one side releases the connection.
    AtomicInteger stage = new AtomicInteger();
    try {
      return pool.run(
          what,
          deadline,
          () -> {
            if (!stage.compareAndSet(0, 1)) {
              throw new BackendException(BackendException.Kind.TIMED_OUT, what + ": given up");
            }
            try {
              return call.run(g.conn);
            } finally {
              g.release();
            }
          });
    } catch (BackendException e) {
      if (stage.compareAndSet(0, 2)) {
        g.release();
        if (e.kind() == BackendException.Kind.TIMED_OUT) {
          // It never left the pool's queue: our own backlog, not libvirt, ran out the deadline.
          throw new BackendException(
              BackendException.Kind.TRANSIENT,
              what + ": not started before the deadline (libvirt calls are backed up)");
        }
      }
      throw e;
    }
  }

  /**
   * Like {@link #call}, for a call that changes a guest (define, create, shutdown, destroy,
   * undefine): it is never abandoned at the deadline. Its caller waits for libvirt to return,
   * however late, and is then told that it overran (TIMED_OUT). So the entry point holds its
   * resource until the guest can no longer change under it, and nothing else of that guest starts
   * meanwhile (one entry point at a time, even past a deadline; the framework shows the resource
   * UNKNOWN while it waits).
   */
  public <T> T act(String what, Deadline deadline, ConnCall<T> call) throws BackendException {
    if (deadline.isExpired()) {
      throw new BackendException(
          BackendException.Kind.TIMED_OUT, what + ": no time left before the deadline");
    }
    Generation g = acquire(deadline.atMost(CALLER_WAIT));
    // 0 queued, 1 running, 2 withdrawn before it ran: exactly one side releases the connection.
    AtomicInteger stage = new AtomicInteger();
    java.util.concurrent.Future<T> f;
    try {
      f =
          pool.submit(
              what,
              () -> {
                if (!stage.compareAndSet(0, 1)) {
                  return null; // withdrawn at its deadline: it never touched the guest
                }
                try {
                  return call.run(g.conn);
                } finally {
                  g.release();
                }
              });
    } catch (BackendException e) {
      g.release();
      throw e;
    }
    boolean late = false;
    while (true) {
      try {
        T result =
            late
                ? f.get()
                : f.get(
                    Math.max(1, deadline.remaining().toNanos()),
                    java.util.concurrent.TimeUnit.NANOSECONDS);
        if (late) {
          throw new BackendException(
              BackendException.Kind.TIMED_OUT, what + ": libvirt returned after the deadline");
        }
        return result;
      } catch (java.util.concurrent.TimeoutException e) {
        if (stage.compareAndSet(0, 2)) {
          // Still queued behind other calls: it has changed nothing and never will.
          f.cancel(false);
          g.release();
          throw new BackendException(
              BackendException.Kind.TRANSIENT,
              what + ": not started before the deadline (libvirt calls are backed up)");
        }
        log.warn("libvirt call past its deadline, waiting for it to return what={}", what);
        late = true;
      } catch (java.util.concurrent.ExecutionException e) {
        BackendException be = CallPool.unwrap(what, e);
        throw late
            ? new BackendException(
                BackendException.Kind.TIMED_OUT, be.getMessage() + " (after the deadline)", be)
            : be;
      } catch (InterruptedException e) {
        // Interrupted while libvirt may still act: keep the slot, as a late return would.
        Thread.currentThread().interrupt();
        throw new BackendException(
            BackendException.Kind.TIMED_OUT, what + ": interrupted while libvirt still runs it");
      }
    }
  }

  /** Waits until {@code deadline} for the connection; TRANSIENT if there is none by then. */
  public void ensureConnected(Deadline deadline) throws BackendException {
    acquire(deadline).release();
  }

  private synchronized Generation acquire(Deadline wait) throws BackendException {
    if (!closed && !threadsStarted) {
      threadsStarted = true;
      phase = Phase.DUE;
      start("havirt-libvirt-reconnect", this::reconnectLoop);
      start("havirt-libvirt-probe", this::probeLoop);
    }
    while (true) {
      if (closed) {
        throw new BackendException(
            BackendException.Kind.TRANSIENT, "the libvirt session is closed");
      }
      if (current != null && current.acquire()) {
        return current;
      }
      long left = wait.remaining().toMillis();
      if ((phase != Phase.DUE && phase != Phase.OPENING) || left <= 0) {
        throw new BackendException(
            BackendException.Kind.TRANSIENT,
            "libvirt at " + uri + " is unreachable: " + lastFailure);
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException(BackendException.Kind.TRANSIENT, "interrupted");
      }
    }
  }

  private static void start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private void reconnectLoop() {
    while (true) {
      synchronized (this) {
        while (!closed && current != null) {
          waitQuietly(0);
        }
        if (closed) {
          return;
        }
        phase = Phase.OPENING;
        notifyAll();
      }
      Object socketBefore = socket.key();
      try {
        Generation g = open();
        boolean late;
        boolean lost;
        synchronized (this) {
          late = closed;
          // Closed by libvirtd while it was being opened (a restart in quick succession): retire
          // marks it under this lock, so it is either published before or refused here.
          lost = g.isRetired();
          if (!late && !lost) {
            current = g;
            unclosed.add(g);
            phase = Phase.IDLE;
            backoffNanos = MIN_BACKOFF.toNanos();
            lastFailure = "";
            liveness.up();
            notifyAll();
          }
        }
        if (late || lost) {
          g.retire(); // closed once, by whichever side retired it first
          if (late) {
            return; // opened while the session closed: nobody has used it
          }
          throw new IllegalStateException("libvirtd closed the connection while it was opened");
        }
        log.info("libvirt connected uri={}", uri);
        listener.onVmEvent(null, "connected to " + uri);
      } catch (LibvirtException | RuntimeException e) {
        long until;
        synchronized (this) {
          lastFailure = e.getMessage();
          phase = Phase.BACKOFF;
          until = System.nanoTime() + backoffNanos; // a real wait: the system clock
          backoffNanos = Math.min(MAX_BACKOFF.toNanos(), backoffNanos * 2);
          notifyAll();
        }
        log.debug("libvirt connect failed uri={} err={}", uri, e.getMessage());
        backOff(until, socketBefore);
      }
    }
  }

  /** Waits until {@code until}, or less when libvirtd's socket appears or is recreated. */
  private void backOff(long until, Object socketBefore) {
    synchronized (this) {
      while (!closed && System.nanoTime() - until < 0) {
        Object now = socket.key();
        if (now != null && !now.equals(socketBefore)) {
          break;
        }
        waitQuietly(SOCKET_POLL.toMillis());
      }
      phase = Phase.DUE;
    }
  }

  private void waitQuietly(long ms) {
    try {
      wait(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Generation open() throws LibvirtException {
    EventLoop.ensureStarted();
    Connect c = new Connect(uri);
    Generation g = new Generation(c, this::closeLater);
    Closer.track(g);
    try {
      // No client keepalive (virConnectSetKeepAlive), on purpose. Workaround: when it gives up on
      // a frozen libvirtd, libvirt 9.0 closes the client from its event loop while other threads
      // are still inside calls on it, and the JVM crashed 0.07-0.2 s after libvirtd resumed
      // (issue 13, "g_main_loop_quit: assertion 'loop != NULL'", then SIGSEGV in a call). Our own
      // liveness probe tells a hung libvirtd instead; calls stuck on it finish when it resumes,
      // and a dead one closes the socket, which fails them at once.
      c.registerCloseListener((ignored, reason) -> retire(g, "connection closed (" + reason + ")"));
      events.register(c);
      return g;
    } catch (LibvirtException | RuntimeException e) {
      g.retire(); // not closeNow: the close callback may be retiring it too, and closes once
      throw e;
    }
  }

  /** Probes liveness every {@link #PROBE_EVERY} while connected; a failed probe retires. */
  private void probeLoop() {
    while (true) {
      Generation g;
      synchronized (this) {
        if (closed) {
          return;
        }
        g = current != null && current.acquire() ? current : null;
      }
      if (g != null) {
        String failure;
        try {
          failure = liveness.probe(g.conn);
        } finally {
          g.release();
        }
        if (failure != null) {
          retire(g, "liveness probe failed: " + failure);
        }
      }
      synchronized (this) {
        if (!closed) {
          waitQuietly(PROBE_EVERY.toMillis());
        }
      }
    }
  }

  /** Takes {@code g} out of use: no new calls, closed once its calls have returned. */
  private void retire(Generation g, String why) {
    boolean wasCurrent;
    synchronized (this) {
      g.retire(); // under this lock: the reconnect loop can no longer publish it
      wasCurrent = current == g;
      if (wasCurrent) {
        current = null;
        lastFailure = why;
        phase = Phase.DUE;
        liveness.down(why);
        notifyAll();
      }
    }
    if (wasCurrent) {
      log.warn("libvirt connection lost uri={} reason={}", uri, why);
      listener.onVmEvent(null, "connection to " + uri + " lost: " + why);
    }
  }

  /** Marks the connection broken after a call showed it is dead (when no close event came). */
  public void markBroken(String why) {
    Generation g;
    synchronized (this) {
      g = current;
    }
    if (g != null) {
      retire(g, why);
    }
  }

  /**
   * Returns why the connection was down or libvirtd unresponsive now or within {@code window}, or
   * empty after a fresh probe answered in time; see {@link
   * org.havirt.types.backend.VmBackend#controlTrouble}.
   */
  public Optional<String> trouble(Duration window, Deadline deadline) {
    synchronized (this) {
      if (closed) {
        return Optional.of("the libvirt session is closed");
      }
      if (!threadsStarted) {
        return Optional.of("not connected to libvirtd yet");
      }
    }
    return liveness.trouble(window, deadline);
  }

  /** Closes on the closer thread: never on a pool thread or libvirt's event-loop thread. */
  private void closeLater(Generation g) {
    Closer.later(() -> closeNow(g));
  }

  private void closeNow(Generation g) {
    // Each deregistration on its own: on a connection that died, the first failing must not
    // leave the others registered with libvirt.
    try {
      events.deregister(g.conn);
    } catch (LibvirtException | RuntimeException e) {
      // the connection is already dead: nothing left to deregister
    }
    try {
      g.conn.unregisterCloseListener();
    } catch (LibvirtException | RuntimeException e) {
      // idem
    }
    int left = 0;
    try {
      left = g.conn.close();
    } catch (LibvirtException e) {
      // already gone
    }
    if (left <= 0) {
      Closer.untrack(g);
    } else {
      // libvirt still holds references (and may hold our callbacks): keep them reachable.
      log.debug("libvirt connection still referenced after close uri={} refs={}", uri, left);
    }
    synchronized (this) {
      unclosed.remove(g);
      notifyAll();
    }
  }

  /** Returns whether {@code guest} left this host by migration (event seen or our own migrate). */
  public boolean migratedAway(String guest) {
    return events.migratedAway(guest);
  }

  public void noteMigratedAway(String guest) {
    events.noteMigratedAway(guest);
  }

  public void forgetMigration(String guest) {
    events.forgetMigration(guest);
  }

  /**
   * Closes the connection once the calls in flight on it have returned, waiting for them at most
   * {@link #CLOSE_WAIT}; a connection whose calls are still stuck in libvirt then is left open
   * (freeing it under them could crash the process), and logged.
   */
  @Override
  public void close() {
    Generation g;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      g = current;
      current = null;
      notifyAll();
    }
    liveness.wake();
    if (g != null) {
      g.retire();
    }
    long until = System.nanoTime() + CLOSE_WAIT.toNanos();
    synchronized (this) {
      while (!unclosed.isEmpty() && System.nanoTime() - until < 0) {
        waitQuietly(50);
      }
      if (!unclosed.isEmpty()) {
        log.warn(
            "libvirt connection left open uri={} reason=calls still inside libvirt after {}",
            uri,
            CLOSE_WAIT);
      }
    }
  }
}
