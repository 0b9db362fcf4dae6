package org.havirt.types.state;

/**
 * What a VM is doing, in words common to both backends. Each backend's native table ({@link
 * LibvirtStateTable}, {@link RhevStateTable}) lands on one of these, and {@link VmStateTable} turns
 * it into the resource state the engine sees.
 */
public enum VmState {
  /** Running normally. */
  RUNNING,
  /**
   * Being brought up: RHEV wait_for_launch, libvirt paused while starting or arriving by migration.
   */
  LAUNCHING,
  /** Guest OS booting (RHEV powering_up). */
  POWERING_UP,
  /** Being restored from a saved state (RHEV restoring_state). */
  RESTORING,
  /** Guest OS shutting down. */
  POWERING_DOWN,
  /** Paused by a user or a management job; still here, not serving. */
  PAUSED,
  /** Paused because its storage returned errors (policy decides, spec §6). */
  PAUSED_IO_ERROR,
  /** Defined but not running, and nobody put it away on purpose. */
  DOWN,
  /** The guest or its emulator crashed. */
  CRASHED,
  /** Not defined on this host at all. */
  NOT_DEFINED,
  /** Saved, suspended or being saved: put away on purpose. */
  SUSPENDED,
  /** Leaving this host by migration. */
  MIGRATING,
  /** Left this host by migration. */
  MIGRATED_AWAY,
  /** Runs on another host (RHEV tells us which). */
  RUNNING_ELSEWHERE,
  /** Rebooting under the manager's control (RHEV reboot_in_progress). */
  REBOOTING,
  /** Locked by the manager (RHEV image_locked): transient, state unreadable. */
  LOCKED,
  /** The backend cannot say. */
  UNKNOWN
}
