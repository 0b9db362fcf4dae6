package org.havirt.backend.rhev;

import org.havirt.backend.rhev.RhevHostIds.Place;
import org.havirt.types.state.RhevVmStatus;

/**
 * Whether offline or clean may stop a RHEV VM from this node (spec §6, never act on the wrong VM):
 * only a VM that runs on this node's RHEV host, or is launching there, compared by host id. A VM
 * elsewhere, or running nowhere, is left alone with a message; a running VM whose host cannot be
 * established is refused, which keeps the resource UNKNOWN. Stateless.
 */
final class RhevStops {
  private RhevStops() {}

  /** What to do with the VM. */
  enum Verdict {
    /** Stop it: it runs here. */
    ACT,
    /** Leave it and succeed: it is not running here; the message says where it is. */
    NOTHING,
    /** Leave it and fail retryably: where it runs cannot be established. */
    REFUSE
  }

  /** A verdict and the sentence that explains it (empty for ACT). */
  record Decision(Verdict verdict, String message) {}

  /**
   * Decides for VM {@code name} in RHEV status {@code status} at {@code place}. RHEV-M names no
   * migration target in the API (a migrating VM's {@code host} is its source and no field names the
   * destination), so a migrating VM is never stopped from here: from its source it is leaving, and
   * from anywhere else it cannot be known to be arriving.
   */
  static Decision decide(String name, RhevVmStatus status, Place place) {
    return switch (status) {
        // The process runs on the VM's host (or is being created there, wait_for_launch: in
        // transition towards it): stop it only if that host is this node's.
      case WAIT_FOR_LAUNCH,
              POWERING_UP,
              UP,
              POWERING_DOWN,
              PAUSED,
              RESTORING_STATE,
              REBOOT_IN_PROGRESS,
              SAVING_STATE,
              NOT_RESPONDING ->
          running(name, status, place);
        // Nothing runs: offline and clean are already done.
      case DOWN -> nothing("VM " + name + " is down; nothing to stop");
        // Its memory is saved and nothing runs; stopping it would discard the saved state.
      case SUSPENDED ->
          nothing("VM " + name + " is suspended and runs on no host; nothing to stop here");
        // A disk operation holds a VM that does not run (API model: "not running").
      case IMAGE_LOCKED ->
          nothing("VM " + name + " is image_locked and does not run; nothing to stop here");
        // The target is not in the API: see above. The monitor reports INTENTIONAL OFFLINE.
      case MIGRATING ->
          nothing(
              "VM "
                  + name
                  + " is migrating"
                  + (place.hostName().isEmpty() ? "" : " from host " + place.hostName())
                  + " and RHEV-M does not name its target; it is not stopped from here");
        // Its host stopped answering RHEV-M: may run or not. Elsewhere it is not ours; here (or
        // nobody knows where) RHEV-M could not stop it anyway, and we must not pretend it is off.
      case UNKNOWN ->
          place.where() == RhevHostIds.Where.ELSEWHERE
              ? nothing(
                  "VM "
                      + name
                      + " is unknown on host "
                      + place.hostName()
                      + "; nothing to stop here")
              : refuse(
                  "RHEV-M cannot tell whether VM "
                      + name
                      + " runs (status unknown"
                      + (place.hostName().isEmpty() ? "" : " on host " + place.hostName())
                      + "); not stopping it");
        // RHEV-M has not settled the VM's state yet: cannot tell.
      case UNASSIGNED ->
          refuse("RHEV-M has not settled the state of VM " + name + "; not stopping it");
    };
  }

  private static Decision running(String name, RhevVmStatus status, Place place) {
    return switch (place.where()) {
      case HERE -> new Decision(Verdict.ACT, ""); // ours: stop it
      case ELSEWHERE -> // another host's VM: never stopped from here
          nothing("VM " + name + " runs on host " + place.hostName() + "; nothing to stop here");
      case NO_HOST -> // running somewhere RHEV-M does not say
          refuse(
              "VM "
                  + name
                  + " is "
                  + status.wireName()
                  + " but RHEV-M names no host for it; not stopping it");
      case UNESTABLISHED -> // a host that may or may not be this one
          refuse(
              "VM " + name + " is " + status.wireName() + ": " + place.why() + "; not stopping it");
    };
  }

  private static Decision nothing(String message) {
    return new Decision(Verdict.NOTHING, message);
  }

  private static Decision refuse(String message) {
    return new Decision(Verdict.REFUSE, message);
  }
}
