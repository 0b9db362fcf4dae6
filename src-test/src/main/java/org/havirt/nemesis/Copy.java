package org.havirt.nemesis;

/** What the truth says of a guest on one node, read without asking the agent. */
public enum Copy {
  /** Its process runs and the hypervisor says running. */
  RUNNING,
  /** Paused on purpose or by the hypervisor (not for a migration): it still holds the guest. */
  PAUSED,
  /** Paused as one side of a migration (incoming on the target, or outgoing at switch-over). */
  MIGRATING,
  /** Not running there: shut off, not defined, or its process is gone. */
  OFF,
  /** The source cannot tell now (its daemon is frozen or down). */
  UNKNOWN;

  /** Whether the guest counts as being on this node (the agent must say ONLINE). */
  public boolean runs() {
    return this == RUNNING || this == PAUSED || this == MIGRATING;
  }
}
