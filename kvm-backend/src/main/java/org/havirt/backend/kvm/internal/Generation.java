package org.havirt.backend.kvm.internal;

import java.util.function.Consumer;
import org.libvirt.Connect;

/**
 * One opened libvirt connection and the calls in flight on it. A connection that is replaced (lost,
 * found broken, or its session closing) is retired, and closed only once the last call using it has
 * returned: libvirt frees a connection on close, and a call still inside libvirt on it would then
 * touch freed memory (issue 13: a 12 s libvirtd freeze crashed the JVM a fraction of a second after
 * the thaw, when the keepalive's close raced calls abandoned at their deadline). Thread-safe.
 */
final class Generation {
  final Connect conn;
  private final Consumer<Generation> closer;

  // guarded by this
  private int inFlight;
  private boolean retired;
  private boolean closing;

  /** {@code closer} closes the connection; it is called once, off any lock. */
  Generation(Connect conn, Consumer<Generation> closer) {
    this.conn = conn;
    this.closer = closer;
  }

  /** Counts one more user; false once retired (the caller must not touch {@link #conn}). */
  synchronized boolean acquire() {
    if (retired) {
      return false;
    }
    inFlight++;
    return true;
  }

  /** Ends one use; the last one of a retired connection closes it. */
  void release() {
    boolean close;
    synchronized (this) {
      inFlight--;
      close = retired && inFlight == 0 && !closing;
      closing |= close;
    }
    if (close) {
      closer.accept(this);
    }
  }

  /** No new users from now on; closes at once when nobody uses it, else at the last release. */
  void retire() {
    boolean close;
    synchronized (this) {
      if (retired) {
        return;
      }
      retired = true;
      close = inFlight == 0 && !closing;
      closing |= close;
    }
    if (close) {
      closer.accept(this);
    }
  }

  synchronized boolean isRetired() {
    return retired;
  }

  synchronized int inFlight() {
    return inFlight;
  }
}
