package org.havirt.backend.kvm;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.havirt.backend.kvm.internal.NativeCalls;
import org.havirt.types.backend.BackendException;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split-brain guard's connections to the peers' libvirtd, kept open between starts: opening one
 * (TCP, the remote driver's handshake) cost more than the question it asks. Only the connection is
 * kept, never an answer: every {@link #stateOn} asks the peer afresh.
 *
 * <p>A kept connection is used by one call at a time (its lock), so it is never closed under a
 * call. A call that fails on it closes it, and the question is asked once more on a connection
 * opened for it: a peer whose libvirtd restarted since is asked, not presumed down. When the kept
 * connection is busy (a call stuck on a hung peer, or another start asking at the same moment), the
 * question goes over a connection of its own, closed afterwards, as every check did before.
 * Thread-safe; {@link #stateOn} blocks in libvirt and runs on the call pool.
 */
final class PeerLinks implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerLinks.class);

  /** One peer's kept connection; {@code conn} is read and written only under {@code lock}. */
  private static final class Link {
    final ReentrantLock lock = new ReentrantLock();
    Connect conn;
  }

  private final Map<String, Link> links = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * Returns libvirt's {state, reason} of {@code guest} at {@code uri}, or null if it is not defined
   * there, as the peer's libvirtd answers now.
   */
  int[] stateOn(String uri, String guest) throws LibvirtException, BackendException {
    Link link = links.computeIfAbsent(uri, u -> new Link());
    if (closed || !link.lock.tryLock()) {
      return once(uri, guest);
    }
    try {
      boolean kept = link.conn != null;
      if (kept && !alive(link.conn)) {
        drop(link, uri, "closed by the peer");
        kept = false;
      }
      try {
        if (link.conn == null) {
          link.conn = new Connect(uri);
        }
        return ask(link.conn, guest);
      } catch (LibvirtException | BackendException e) {
        drop(link, uri, e.getMessage());
        if (!kept) {
          throw e; // a connection opened just now failed: the peer is unreachable
        }
      }
      // The kept connection failed (the peer's libvirtd restarted, the network dropped it): the
      // peer is asked again over a new connection, which is kept in its place if it works.
      try {
        link.conn = new Connect(uri);
        return ask(link.conn, guest);
      } catch (LibvirtException | BackendException e) {
        drop(link, uri, e.getMessage());
        throw e;
      }
    } finally {
      if (closed) {
        drop(link, uri, "backend closed");
      }
      link.lock.unlock();
    }
  }

  /** Asks over a connection of its own, closed afterwards. */
  private static int[] once(String uri, String guest) throws LibvirtException, BackendException {
    Connect c = new Connect(uri);
    try {
      return ask(c, guest);
    } finally {
      c.close();
    }
  }

  private static int[] ask(Connect c, String guest) throws LibvirtException, BackendException {
    Domain dom;
    try {
      dom = c.domainLookupByName(guest);
    } catch (LibvirtException e) {
      if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
        return null;
      }
      throw e;
    }
    try {
      return NativeCalls.state(dom);
    } finally {
      LibvirtBackend.free(dom);
    }
  }

  /** Whether libvirt still holds {@code c} open (a local check, no round trip). */
  private static boolean alive(Connect c) {
    try {
      return c.isAlive();
    } catch (LibvirtException e) {
      return false;
    }
  }

  /** Closes the link's connection; the caller holds its lock. */
  private static void drop(Link link, String uri, String why) {
    Connect c = link.conn;
    link.conn = null;
    if (c == null) {
      return;
    }
    log.info("peer connection closed uri={} reason={}", uri, why);
    try {
      c.close();
    } catch (LibvirtException e) {
      // already closed by libvirt; nothing left to release
    }
  }

  /**
   * Closes every kept connection not in use; one in use is closed by its call when it returns (a
   * connection is never closed under a call).
   */
  @Override
  public void close() {
    closed = true;
    links.forEach(
        (uri, link) -> {
          if (link.lock.tryLock()) {
            try {
              drop(link, uri, "backend closed");
            } finally {
              link.lock.unlock();
            }
          }
        });
  }
}
