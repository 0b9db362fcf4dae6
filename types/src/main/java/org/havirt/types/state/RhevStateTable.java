package org.havirt.types.state;

/** The RHEV half of spec §4: a RHEV-M VM status as a neutral {@link VmState}. */
public final class RhevStateTable {
  private RhevStateTable() {}

  /** Classifies a status read from RHEV-M. */
  public static VmState classify(RhevVmStatus status) {
    return switch (status) {
        // Seed table: ONLINE 10. The engine has scheduled the VM; qemu is being created.
      case WAIT_FOR_LAUNCH -> VmState.LAUNCHING;
        // Seed table: ONLINE 60. qemu runs, the guest OS boots.
      case POWERING_UP -> VmState.POWERING_UP;
        // Seed table: ONLINE 100.
      case UP -> VmState.RUNNING;
        // Seed table: ONLINE 40. Shutting down but still running.
      case POWERING_DOWN -> VmState.POWERING_DOWN;
        // Seed table: ONLINE 20.
      case PAUSED -> VmState.PAUSED;
        // Seed table: ONLINE 50. Resuming from a suspended image.
      case RESTORING_STATE -> VmState.RESTORING;
        // Seed table: OFFLINE.
      case DOWN -> VmState.DOWN;
        // Seed table: INTENTIONAL OFFLINE. Being suspended on purpose.
      case SAVING_STATE -> VmState.SUSPENDED;
        // Seed table: INTENTIONAL OFFLINE. Suspended on purpose.
      case SUSPENDED -> VmState.SUSPENDED;
        // Seed table: INTENTIONAL OFFLINE. The target host will report it up when done.
      case MIGRATING -> VmState.MIGRATING;
        // Seed table: INTENTIONAL OFFLINE. RHEV brings it back by itself.
      case REBOOT_IN_PROGRESS -> VmState.REBOOTING;
        // Seed table: UNKNOWN. A disk operation holds the VM.
      case IMAGE_LOCKED -> VmState.LOCKED;
        // Seed table: UNKNOWN. Usually its host stopped answering (manual fencing, spec §7).
      case UNKNOWN -> VmState.UNKNOWN;
        // Our decision (not in the seed): the guest stopped answering the engine; its real state
        // is unknowable from here, and acting on it could start a second copy.
      case NOT_RESPONDING -> VmState.UNKNOWN;
        // Our decision (not in the seed): transient state while the engine sorts the VM out.
      case UNASSIGNED -> VmState.UNKNOWN;
    };
  }

  /** Classifies a raw status string; anything unrecognised is UNKNOWN with the raw text kept. */
  public static VmStatus classify(String rawStatus) {
    return RhevVmStatus.fromWire(rawStatus)
        .map(s -> VmStatus.of(classify(s), s.wireName()))
        .orElseGet(
            () -> VmStatus.of(VmState.UNKNOWN, "unrecognised VM status '" + rawStatus + "'"));
  }
}
