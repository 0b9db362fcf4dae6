package org.havirt.backend.kvm.internal;

import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's event loop, started once per process. libvirt-java needs it registered before the first
 * connection is opened, and run on a thread of its own; callbacks arrive on that thread.
 */
public final class EventLoop {
  private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
  private static boolean started;

  /**
   * Held for the life of the process: libvirt keeps only a native pointer to it, and a JNA callback
   * that is garbage-collected while registered crashes the JVM.
   */
  private static final org.libvirt.ErrorCallback QUIET = new org.libvirt.ErrorCallback();

  private EventLoop() {}

  /** Starts the loop if it is not running; safe to call from any thread, any number of times. */
  public static synchronized void ensureStarted() throws LibvirtException {
    if (started) {
      return;
    }
    // libvirt prints every error to stderr unless a callback takes them; we report our own.
    Connect.setErrorCallback(QUIET);
    Library.initEventLoop();
    Thread t = new Thread(EventLoop::loop, "havirt-libvirt-events");
    t.setDaemon(true);
    t.start();
    started = true;
  }

  private static void loop() {
    while (true) {
      try {
        Library.runEventLoop();
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (LibvirtException e) {
        // One failed iteration must not end event delivery for the whole process.
        log.warn("libvirt event loop error err={}", e.getMessage());
      }
    }
  }
}
