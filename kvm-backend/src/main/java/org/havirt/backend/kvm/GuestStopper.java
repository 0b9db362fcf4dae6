package org.havirt.backend.kvm;

import java.time.Duration;
import org.havirt.backend.kvm.internal.CallPool;
import org.havirt.backend.kvm.internal.GuestFiles;
import org.havirt.backend.kvm.internal.NativeCalls;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.state.LibvirtDomainState;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops guests: the graceful shutdown (offline) and the destroy (clean), then the housekeeping both
 * share: the configuration written back, and the definition removed if the agent made it.
 * Thread-safe.
 */
final class GuestStopper {
  private static final Logger log = LoggerFactory.getLogger(GuestStopper.class);

  /**
   * How long after a qemu exit the agent answers for libvirt, and a clean waits for libvirt to
   * finish with the dead process.
   */
  static final Duration LIBVIRT_CATCH_UP = Duration.ofSeconds(5);

  private final LibvirtBackend backend;
  private final CallPool pool;
  private final GuestFiles files;
  private final QemuWatch qemuWatch;

  GuestStopper(LibvirtBackend backend, CallPool pool, GuestFiles files, QemuWatch qemuWatch) {
    this.backend = backend;
    this.pool = pool;
    this.files = files;
    this.qemuWatch = qemuWatch;
  }

  void shutdown(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    boolean requested =
        backend.act(
            "shutdown " + name,
            deadline,
            c -> {
              Domain dom = LibvirtBackend.lookup(c, name);
              try {
                int state = dom == null ? -1 : NativeCalls.state(dom)[0];
                if (dom == null || !PeerGuard.isActive(state)) {
                  return false;
                }
                files.ranHere(guest); // what this node runs: written back once stopped
                if (LibvirtDomainState.fromCode(state).orElse(null) == LibvirtDomainState.PAUSED) {
                  // A paused guest (by someone, or on an I/O error) cannot act on a shutdown
                  // request, and libvirt refuses it ("domain is not running"): nothing to wait
                  // for. It is still here, so the framework's next monitor judges the offline
                  // ineffective and cleans (destroy).
                  log.info("shutdown not requested guest={} reason=paused", name);
                  return false;
                }
                NativeCalls.shutdown(dom);
                return true;
              } finally {
                LibvirtBackend.free(dom);
              }
            });
    if (requested) {
      long delay = guest.integer("DelayAfterGuestOffline").orElse(30);
      if (!backend.waitUntilInactive(name, deadline.atMost(Duration.ofSeconds(delay)))) {
        return; // still running: the framework judges "offline ineffective" and cleans
      }
    }
    finishOffline(guest, deadline);
  }

  void destroy(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    if (qemuWatch.exited(name).isPresent() && !qemuWatch.successorRunning(name)) {
      // Its qemu is already dead and libvirt is still cleaning up: a destroy now would wait
      // behind that cleanup and could then land on the guest started next. Let libvirt finish.
      backend.waitUntilInactive(name, deadline.atMost(LIBVIRT_CATCH_UP));
    }
    backend.act(
        "destroy " + name,
        deadline,
        c -> {
          Domain dom = LibvirtBackend.lookup(c, name);
          try {
            if (dom != null && PeerGuard.isActive(NativeCalls.state(dom)[0])) {
              files.ranHere(guest); // what this node runs: written back once stopped
              NativeCalls.destroy(dom);
            }
            return null;
          } finally {
            LibvirtBackend.free(dom);
          }
        });
    finishOffline(guest, deadline);
  }

  /** After the guest stopped: write its config back, then undefine it if the agent defined it. */
  private void finishOffline(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    backend.act(
        "sync config of " + name,
        deadline,
        c -> {
          Domain dom = LibvirtBackend.lookup(c, name);
          if (dom == null) {
            files.forgetDefinition(name);
            return null;
          }
          try {
            if (PeerGuard.isActive(NativeCalls.state(dom)[0])) {
              return null; // something started it again meanwhile: leave it alone
            }
            // Forward only: skipped (and logged) unless this node ran it since it last read or
            // wrote the shared files and nobody else wrote them since.
            String xml = dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML);
            GuestFiles.Outcome synced = files.writeBack(guest, xml, true);
            if (files.definedByAgent(name) && keptIfUnsynced(name, xml, synced)) {
              undefineOurs(dom, name);
            }
            return null;
          } finally {
            LibvirtBackend.free(dom);
          }
        });
  }

  /**
   * Before the agent's definition goes: when the shared files do not hold it (a write-back was
   * skipped), keeps a copy in the state directory. Returns false when that copy cannot be made:
   * then the definition stays, so nothing is lost.
   */
  private boolean keptIfUnsynced(String name, String xml, GuestFiles.Outcome synced) {
    if (synced.skipped().isEmpty()) {
      return true;
    }
    try {
      log.info(
          "guest definition kept before undefine guest={} copy={}",
          name,
          files.keepCopy(name, xml));
      return true;
    } catch (BackendException e) {
      log.warn(
          "guest definition kept guest={} reason=no copy could be saved: {}", name, e.getMessage());
      return false;
    }
  }

  /**
   * Undefines a definition the agent made. A managed-save image or snapshots make libvirt refuse;
   * removing them would throw away the guest's saved memory or history, so the definition stays
   * (and stays ours). The guest is stopped either way: this is housekeeping, never a failure.
   */
  private void undefineOurs(Domain dom, String name) {
    try {
      if (dom.hasManagedSaveImage() == 1) {
        log.info("guest definition kept guest={} reason=managed save image exists", name);
        return;
      }
      dom.undefine();
      files.forgetDefinition(name);
      log.info("guest undefined guest={} reason=defined by the agent", name);
    } catch (LibvirtException e) {
      log.warn("guest definition kept guest={} err={}", name, e.getMessage());
    }
  }
}
