package org.havirt.types;

import java.util.Objects;

/**
 * What one monitor observed: a resource state, a confidence (ONLINE only) and a short reason.
 *
 * @param state the resource state
 * @param confidence 1–100 for {@link ResourceState#ONLINE}, 0 for every other state
 * @param reason a short human explanation, e.g. {@code "libvirt: running (booted)"}; never null
 */
public record MonitorResult(ResourceState state, int confidence, String reason) {

  public MonitorResult {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    if (state == ResourceState.ONLINE) {
      if (confidence < 1 || confidence > 100) {
        throw new IllegalArgumentException("ONLINE confidence must be 1-100, was " + confidence);
      }
    } else if (confidence != 0) {
      throw new IllegalArgumentException(state + " carries no confidence, was " + confidence);
    }
  }

  public static MonitorResult online(int confidence, String reason) {
    return new MonitorResult(ResourceState.ONLINE, confidence, reason);
  }

  public static MonitorResult offline(String reason) {
    return new MonitorResult(ResourceState.OFFLINE, 0, reason);
  }

  public static MonitorResult intentionalOffline(String reason) {
    return new MonitorResult(ResourceState.INTENTIONAL_OFFLINE, 0, reason);
  }

  public static MonitorResult unknown(String reason) {
    return new MonitorResult(ResourceState.UNKNOWN, 0, reason);
  }

  /** Returns e.g. {@code ONLINE(100) libvirt: running (booted)}. */
  @Override
  public String toString() {
    String head =
        state == ResourceState.ONLINE
            ? state.displayName() + "(" + confidence + ")"
            : state.displayName();
    return head + " " + reason;
  }
}
