package org.havirt.backend.kvm;

import org.havirt.backend.kvm.internal.CallPool;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.state.LibvirtDomainState;
import org.havirt.types.state.LibvirtStateTable;
import org.havirt.types.state.VmStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split-brain guard: before starting a guest, look at every peer hypervisor that could run it
 * and refuse if it runs there. A peer that cannot be reached is presumed down (that is when a
 * failover happens) and is logged; only a peer that answers "running" stops the start. Each peer is
 * asked afresh at every start, over a connection kept open between starts ({@link PeerLinks}).
 */
final class PeerGuard {
  private static final Logger log = LoggerFactory.getLogger(PeerGuard.class);

  private final KvmSettings settings;
  private final CallPool pool;
  private final PeerLinks links = new PeerLinks();

  PeerGuard(KvmSettings settings, CallPool pool) {
    this.settings = settings;
    this.pool = pool;
  }

  /** Closes the kept peer connections (see {@link PeerLinks#close}). */
  void close() {
    links.close();
  }

  /**
   * Throws FAILED if {@code guest} runs on one of its peers, MISCONFIGURED (before calling any
   * peer) if a peer is not a host name or IP literal.
   */
  void check(GuestSpec guest, Deadline deadline) throws BackendException {
    // Every peer's URI first: one that cannot be made stops the start before any peer is called.
    java.util.Map<String, String> uris = new java.util.LinkedHashMap<>();
    for (String peer : guest.peerHypervisors()) {
      try {
        uris.put(peer, settings.hypervisorUri(peer));
      } catch (IllegalArgumentException e) {
        // Config load and add/modify refuse such names; should one get here, this peer cannot be
        // looked at, so a start is not known to be safe.
        throw new BackendException(
            BackendException.Kind.MISCONFIGURED,
            "peer " + e.getMessage() + "; refusing to start without checking it");
      }
    }
    for (java.util.Map.Entry<String, String> p : uris.entrySet()) {
      String peer = p.getKey();
      String uri = p.getValue();
      Deadline d = deadline.atMost(settings.peerCheckTimeout());
      int[] there;
      try {
        there = pool.run("check peer " + peer, d, () -> links.stateOn(uri, guest.guestName()));
      } catch (BackendException e) {
        log.warn(
            "peer unreachable, cannot check it guest={} peer={} err={}",
            guest.guestName(),
            peer,
            e.getMessage());
        continue;
      }
      if (there != null && isActive(there[0])) {
        VmStatus words = LibvirtStateTable.classify(there[0], there[1]);
        throw new BackendException(
            BackendException.Kind.FAILED,
            "guest "
                + guest.guestName()
                + " is "
                + words.native_()
                + " on peer "
                + peer
                + "; refusing to start a second copy");
      }
    }
  }

  /**
   * Returns whether a domain in libvirt state {@code state} has a qemu process, and so holds its
   * disks: starting another copy would corrupt them. Judged on libvirt's own state, because
   * "suspended" covers both a running pmsuspended guest and a managed save with no process.
   */
  static boolean isActive(int state) {
    return LibvirtDomainState.fromCode(state)
        .map(
            s ->
                switch (s) {
                    // Shut off or crashed: no qemu process, nothing to protect.
                  case SHUTOFF, CRASHED -> false;
                    // Running, idle, paused, shutting down, suspended to RAM: qemu holds the disks.
                  case RUNNING, BLOCKED, PAUSED, SHUTDOWN, PMSUSPENDED -> true;
                    // libvirt cannot say: assume the worst.
                  case NOSTATE -> true;
                })
        .orElse(true);
  }
}
