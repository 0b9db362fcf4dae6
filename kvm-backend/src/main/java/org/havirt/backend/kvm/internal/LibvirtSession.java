package org.havirt.backend.kvm.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.VmEventListener;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.IOErrorAction;
import org.libvirt.event.IOErrorListener;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.StoppedDetail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to one libvirtd, kept alive: keepalive probes detect a hung or dead daemon, the
 * close callback marks the connection broken, and a background task reconnects with exponential
 * backoff and registers the event callbacks again. Every reconnection is announced to the listener
 * as "anything may have changed" so the agent re-probes everything. Thread-safe.
 */
public final class LibvirtSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LibvirtSession.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** How long a "migrated away" mark explains a guest that is no longer defined here. */
  private static final Duration MIGRATED_MEMORY = Duration.ofHours(24);

  private final String uri;
  private final CallPool pool;
  private final Ticker ticker;
  private final VmEventListener listener;
  private final ScheduledExecutorService reconnector;
  private final Map<String, Long> migratedAway = new ConcurrentHashMap<>();
  // One instance each, so the very listeners registered can be removed again.
  private final LifecycleListener lifecycle = this::onLifecycle;
  private final IOErrorListener ioErrors = this::onIoError;

  // guarded by this
  private Connect conn;
  private boolean closed;
  private long backoffNanos = MIN_BACKOFF.toNanos();
  private long nextAttemptNanos;
  private String lastFailure = "not connected yet";

  public LibvirtSession(String uri, CallPool pool, Ticker ticker, VmEventListener listener) {
    this.uri = uri;
    this.pool = pool;
    this.ticker = ticker;
    this.listener = listener;
    this.reconnector =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "havirt-libvirt-reconnect");
              t.setDaemon(true);
              return t;
            });
    this.nextAttemptNanos = ticker.nanoTime();
  }

  public String uri() {
    return uri;
  }

  /** Returns the live connection, connecting first if needed; TRANSIENT while libvirtd is away. */
  public Connect connection(Deadline deadline) throws BackendException {
    synchronized (this) {
      if (closed) {
        throw new BackendException(
            BackendException.Kind.TRANSIENT, "the libvirt session is closed");
      }
      if (conn != null) {
        return conn;
      }
      if (ticker.nanoTime() - nextAttemptNanos < 0) {
        throw new BackendException(
            BackendException.Kind.TRANSIENT,
            "libvirt at " + uri + " is unreachable: " + lastFailure);
      }
    }
    return connect(deadline);
  }

  private Connect connect(Deadline deadline) throws BackendException {
    try {
      Connect c = pool.run("connect to " + uri, deadline, this::open);
      synchronized (this) {
        if (closed) {
          closeQuietly(c);
          throw new BackendException(
              BackendException.Kind.TRANSIENT, "the libvirt session is closed");
        }
        if (conn != null) {
          closeQuietly(c); // another caller won the race
          return conn;
        }
        conn = c;
        backoffNanos = MIN_BACKOFF.toNanos();
        lastFailure = "";
      }
      log.info("libvirt connected uri={}", uri);
      listener.onVmEvent(null, "connected to " + uri);
      return c;
    } catch (BackendException e) {
      synchronized (this) {
        lastFailure = e.getMessage();
        nextAttemptNanos = ticker.nanoTime() + backoffNanos;
        backoffNanos = Math.min(MAX_BACKOFF.toNanos(), backoffNanos * 2);
      }
      scheduleReconnect();
      throw new BackendException(
          BackendException.Kind.TRANSIENT,
          "libvirt at " + uri + " is unreachable: " + e.getMessage(),
          e);
    }
  }

  private Connect open() throws LibvirtException {
    EventLoop.ensureStarted();
    Connect c = new Connect(uri);
    try {
      // Probe every 2 s; three missed answers close the connection, failing calls stuck on it.
      try {
        c.setKeepAlive(2, 3);
      } catch (LibvirtException e) {
        // Local drivers (test:///, qemu:/// without a daemon) have no keepalive: nothing to probe.
        log.debug("libvirt keepalive unavailable uri={} err={}", uri, e.getMessage());
      }
      // Compare with our own reference: the callback may hand back another wrapper object.
      c.registerCloseListener((ignored, reason) -> onClosed(c, String.valueOf(reason)));
      c.addLifecycleListener(lifecycle);
      c.addIOErrorListener(ioErrors);
      return c;
    } catch (LibvirtException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private int onLifecycle(Domain domain, DomainEvent event) {
    String name;
    try {
      name = domain.getName();
    } catch (LibvirtException e) {
      return 0;
    } finally {
      freeQuietly(domain); // each callback gets its own reference
    }
    if (name == null) {
      return 0;
    }
    DomainEventType type = event.getType();
    // libvirt-java has no detail for events it does not know (getDetail() would throw).
    Object detail = type == DomainEventType.UNKNOWN ? "" : event.getDetail();
    if (type == DomainEventType.STOPPED && detail == StoppedDetail.MIGRATED) {
      migratedAway.put(name, ticker.nanoTime());
    } else if (type == DomainEventType.STARTED || type == DomainEventType.RESUMED) {
      migratedAway.remove(name);
    }
    listener.onVmEvent(name, type + " " + detail);
    return 0;
  }

  private void onIoError(Domain domain, String srcPath, String devAlias, IOErrorAction action) {
    String name = null;
    try {
      name = domain.getName();
    } catch (LibvirtException e) {
      // reported below as "anything may have changed"
    } finally {
      freeQuietly(domain);
    }
    listener.onVmEvent(name, "I/O error on " + devAlias + " (" + action + ")");
  }

  private static void freeQuietly(Domain d) {
    try {
      d.free();
    } catch (LibvirtException e) {
      // nothing to do
    }
  }

  private void onClosed(Connect closedConn, String reason) {
    synchronized (this) {
      if (conn != closedConn) {
        return;
      }
      conn = null;
      lastFailure = "connection closed (" + reason + ")";
      nextAttemptNanos = ticker.nanoTime();
    }
    log.warn("libvirt connection lost uri={} reason={}", uri, reason);
    listener.onVmEvent(null, "connection to " + uri + " lost: " + reason);
    scheduleReconnect();
  }

  /** Marks the connection broken after a call showed it is dead (when no close event came). */
  public void markBroken(String why) {
    Connect old;
    synchronized (this) {
      old = conn;
      conn = null;
      lastFailure = why;
    }
    if (old != null) {
      closeQuietly(old);
      scheduleReconnect();
    }
  }

  private void scheduleReconnect() {
    long delay;
    synchronized (this) {
      if (closed || conn != null) {
        return;
      }
      delay = Math.max(0, nextAttemptNanos - ticker.nanoTime());
    }
    try {
      reconnector.schedule(this::reconnectInBackground, delay, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // closing
    }
  }

  private void reconnectInBackground() {
    synchronized (this) {
      if (closed || conn != null || ticker.nanoTime() - nextAttemptNanos < 0) {
        return;
      }
    }
    try {
      connect(Deadline.in(Duration.ofSeconds(10), ticker));
    } catch (BackendException e) {
      log.debug("libvirt reconnect failed uri={} err={}", uri, e.getMessage());
    }
  }

  /** Returns whether {@code guest} left this host by migration (event seen or our own migrate). */
  public boolean migratedAway(String guest) {
    Long at = migratedAway.get(guest);
    return at != null && ticker.nanoTime() - at < MIGRATED_MEMORY.toNanos();
  }

  public void noteMigratedAway(String guest) {
    migratedAway.put(guest, ticker.nanoTime());
  }

  public void forgetMigration(String guest) {
    migratedAway.remove(guest);
  }

  @Override
  public void close() {
    Connect old;
    synchronized (this) {
      closed = true;
      old = conn;
      conn = null;
    }
    reconnector.shutdownNow();
    if (old != null) {
      closeQuietly(old);
    }
  }

  /**
   * Deregisters our callbacks, then closes. Workaround: libvirt-java 0.5.4 keeps delivering events
   * to listeners still registered on a closed Connect, and its callback then throws a
   * NullPointerException (Connect.vcp is null) inside JNA.
   */
  private void closeQuietly(Connect c) {
    try {
      c.removeLifecycleListener(lifecycle);
      c.removeIOErrorListener(ioErrors);
      c.unregisterCloseListener();
    } catch (LibvirtException | RuntimeException e) {
      // the connection is already dead: nothing left to deregister
    }
    try {
      c.close();
    } catch (LibvirtException e) {
      // already gone
    }
  }
}
