package org.havirt.backend.kvm.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.Ticker;
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

/**
 * The domain events of a session's connections, passed on to its listener as hints, and the
 * "migrated away" marks they leave. Callbacks arrive on libvirt's event-loop thread. Thread-safe.
 */
final class DomainEvents {
  /** How long a "migrated away" mark explains a guest that is no longer defined here. */
  private static final Duration MIGRATED_MEMORY = Duration.ofHours(24);

  private final Ticker ticker;
  private final VmEventListener listener;
  private final Map<String, Long> migratedAway = new ConcurrentHashMap<>();
  // One instance each, so the very listeners registered can be removed again.
  private final LifecycleListener lifecycle = this::onLifecycle;
  private final IOErrorListener ioErrors = this::onIoError;

  DomainEvents(Ticker ticker, VmEventListener listener) {
    this.ticker = ticker;
    this.listener = listener;
  }

  void register(Connect c) throws LibvirtException {
    c.addLifecycleListener(lifecycle);
    c.addIOErrorListener(ioErrors);
  }

  /**
   * Workaround: libvirt-java 0.5.4 keeps delivering events to listeners still registered on a
   * closed Connect, and its callback then throws a NullPointerException (Connect.vcp is null)
   * inside JNA; so every connection is deregistered before it is closed.
   */
  void deregister(Connect c) throws LibvirtException {
    c.removeLifecycleListener(lifecycle);
    c.removeIOErrorListener(ioErrors);
  }

  boolean migratedAway(String guest) {
    Long at = migratedAway.get(guest);
    return at != null && ticker.nanoTime() - at < MIGRATED_MEMORY.toNanos();
  }

  void noteMigratedAway(String guest) {
    migratedAway.put(guest, ticker.nanoTime());
  }

  void forgetMigration(String guest) {
    migratedAway.remove(guest);
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
}
