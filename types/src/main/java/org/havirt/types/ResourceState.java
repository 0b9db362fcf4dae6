package org.havirt.types;

/**
 * The state a monitor reports for a resource, as the cluster engine understands it.
 *
 * <p>FAULTED and ADMIN_WAIT are not here: the framework declares them ({@link FrameworkState}),
 * never a backend.
 */
public enum ResourceState {
  /** The VM is running here; a confidence level (10–100) says how sure or how healthy. */
  ONLINE("ONLINE"),
  /** The VM is not running here. For a resource expected online this is a failure. */
  OFFLINE("OFFLINE"),
  /** The VM left this host on purpose (migrated, suspended, saved): never a fault. */
  INTENTIONAL_OFFLINE("INTENTIONAL OFFLINE"),
  /**
   * The agent cannot tell (backend unreachable, bad configuration): never a fault, never cleaned.
   */
  UNKNOWN("UNKNOWN");

  private final String displayName;

  ResourceState(String displayName) {
    this.displayName = displayName;
  }

  /** Returns the name VCS prints, e.g. {@code INTENTIONAL OFFLINE}. */
  public String displayName() {
    return displayName;
  }
}
