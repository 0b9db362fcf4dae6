package org.havirt.types.state;

import java.util.Optional;
import org.havirt.types.state.LibvirtReasons.Paused;
import org.havirt.types.state.LibvirtReasons.Running;
import org.havirt.types.state.LibvirtReasons.Shutoff;

/**
 * The KVM half of spec §4: libvirt's state and reason ({@code virDomainGetState}) as a neutral
 * {@link VmState}. The state alone is not enough: a guest shut off by migration and one shut off by
 * a crash look the same without the reason.
 */
public final class LibvirtStateTable {
  private LibvirtStateTable() {}

  /** Classifies the raw codes libvirt returned; unrecognised codes never look like a failure. */
  public static VmStatus classify(int stateCode, int reasonCode) {
    Optional<LibvirtDomainState> state = LibvirtDomainState.fromCode(stateCode);
    if (state.isEmpty()) {
      // A libvirt newer than this table: we cannot tell what it means, so we must not act.
      return VmStatus.of(VmState.UNKNOWN, "unrecognised state code " + stateCode);
    }
    return switch (state.get()) {
        // No state: libvirt itself does not know (seen on a migration target): spec says UNKNOWN.
      case NOSTATE -> status(VmState.UNKNOWN, state.get(), "unknown");
        // Every running reason is a guest that is up, whatever brought it there.
      case RUNNING ->
          status(VmState.RUNNING, state.get(), Running.fromCode(reasonCode).map(Running::label));
        // Blocked means running but waiting on a resource (idle): up.
      case BLOCKED -> status(VmState.RUNNING, state.get(), "unknown");
        // Paused needs the reason: see pausedState.
      case PAUSED -> pausedState(reasonCode);
        // Shutting down but still running: ONLINE with low confidence, never a second start.
      case SHUTDOWN -> status(VmState.POWERING_DOWN, state.get(), "user");
        // Shut off needs the reason: migration and managed save are intentional.
      case SHUTOFF -> shutoffState(reasonCode);
        // Crashed and kept around (on_crash=preserve): a failure the engine must see.
      case CRASHED ->
          status(VmState.CRASHED, state.get(), reasonCode == 1 ? "panicked" : "unknown");
        // Suspended to RAM or disk by the guest itself: put away on purpose.
      case PMSUSPENDED -> status(VmState.SUSPENDED, state.get(), "unknown");
    };
  }

  private static VmStatus pausedState(int reasonCode) {
    Optional<Paused> reason = Paused.fromCode(reasonCode);
    String label = reason.map(Paused::label).orElse("reason " + reasonCode);
    if (reason.isEmpty()) {
      // A paused reason newer than this table: paused is still "present, not serving".
      return status(VmState.PAUSED, LibvirtDomainState.PAUSED, label);
    }
    VmState vm =
        switch (reason.get()) {
            // Being created: qemu exists, the guest has not run yet.
          case STARTING_UP -> VmState.LAUNCHING;
            // Offline migration phase, or the target waiting for the last pages: in transition.
          case MIGRATION -> VmState.LAUNCHING;
            // Post-copy: the guest runs on the target, pulling pages from the source.
          case POSTCOPY -> VmState.LAUNCHING;
            // Paused by an administrator: here, resumable.
          case USER -> VmState.PAUSED;
            // Paused while a snapshot is taken: resumes by itself.
          case SNAPSHOT -> VmState.PAUSED;
            // Paused while a core dump is written: resumes by itself.
          case DUMP -> VmState.PAUSED;
            // Paused on the way down: the shutdown completes or fails soon.
          case SHUTTING_DOWN -> VmState.PAUSED;
            // Restored from a paused snapshot: here, resumable.
          case FROM_SNAPSHOT -> VmState.PAUSED;
            // The watchdog's configured action is pause: the administrator chose to keep it.
          case WATCHDOG -> VmState.PAUSED;
            // A resume at the end of a migration or snapshot failed: here, resumable by hand.
          case API_ERROR -> VmState.PAUSED;
            // Reason not given: paused is the safe reading.
          case UNKNOWN -> VmState.PAUSED;
            // Storage failed under the guest: policy decides (spec §6).
          case IOERROR -> VmState.PAUSED_IO_ERROR;
            // Being saved to a file: intentional (spec §4: paused (save)).
          case SAVE -> VmState.SUSPENDED;
            // The guest panicked and was kept for inspection: as dead as crashed.
          case CRASHED -> VmState.CRASHED;
            // Post-copy failed: memory is split between two hosts and neither copy can run.
            // Nothing automatic can fix that, and a clean would throw away the source's pages.
          case POSTCOPY_FAILED -> VmState.UNKNOWN;
        };
    return status(vm, LibvirtDomainState.PAUSED, label);
  }

  private static VmStatus shutoffState(int reasonCode) {
    Optional<Shutoff> reason = Shutoff.fromCode(reasonCode);
    String label = reason.map(Shutoff::label).orElse("reason " + reasonCode);
    if (reason.isEmpty()) {
      // Shut off is certain whatever the new reason: the guest does not run here.
      return status(VmState.DOWN, LibvirtDomainState.SHUTOFF, label);
    }
    VmState vm =
        switch (reason.get()) {
            // Left by live migration: the target reports it ONLINE.
          case MIGRATED -> VmState.MIGRATED_AWAY;
            // Managed save: put away on purpose, restored by the next start.
          case SAVED -> VmState.SUSPENDED;
            // Shut down from inside or by request: not running, nobody told the engine.
          case SHUTDOWN -> VmState.DOWN;
            // Destroyed by someone: not running.
          case DESTROYED -> VmState.DOWN;
            // qemu died (kill -9, OOM): the failure HA exists for.
          case CRASHED -> VmState.CRASHED;
            // Failed to start: not running.
          case FAILED -> VmState.DOWN;
            // Reverted to a shut-off snapshot: not running.
          case FROM_SNAPSHOT -> VmState.DOWN;
            // libvirtd killed it while reconnecting after a restart: not running.
          case DAEMON -> VmState.DOWN;
            // Reason not given: certainly not running.
          case UNKNOWN -> VmState.DOWN;
        };
    return status(vm, LibvirtDomainState.SHUTOFF, label);
  }

  private static VmStatus status(VmState vm, LibvirtDomainState state, Optional<String> reason) {
    return status(vm, state, reason.orElse("unrecognised reason"));
  }

  private static VmStatus status(VmState vm, LibvirtDomainState state, String reason) {
    return VmStatus.of(vm, state.label() + " (" + reason + ")");
  }
}
