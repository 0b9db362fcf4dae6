package org.havirt.backend.kvm.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Closes retired connections for every session of the process, on a thread of its own (never a pool
 * thread, which may be the connection's last user, nor libvirt's event-loop thread, which delivers
 * the close callback), and keeps every connection not closed yet reachable, even after its session
 * is gone: libvirt still holds the JNA callbacks registered on it, and a callback garbage-collected
 * with its Connect crashes the JVM when libvirt calls it ("JNA: callback object has been garbage
 * collected", then exit 139 in KvmNativeStressIT, for a connection left open by a close() that
 * could not wait for its stuck calls). Thread-safe.
 */
final class Closer {
  private static final Set<Generation> NOT_CLOSED = ConcurrentHashMap.newKeySet();
  private static final ExecutorService EXEC =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "havirt-libvirt-closer");
            t.setDaemon(true);
            return t;
          });

  private Closer() {}

  /** Holds {@code g} until {@link #untrack}: from its opening to its close. */
  static void track(Generation g) {
    NOT_CLOSED.add(g);
  }

  static void untrack(Generation g) {
    NOT_CLOSED.remove(g);
  }

  /** Runs {@code close} on the closer thread. */
  static void later(Runnable close) {
    EXEC.execute(close);
  }
}
