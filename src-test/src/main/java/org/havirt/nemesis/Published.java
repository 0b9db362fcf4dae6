package org.havirt.nemesis;

import java.time.Instant;

/**
 * What an agent last published of a resource (a {@code state} event), and when it arrived.
 *
 * @param state {@code ONLINE}, {@code OFFLINE}, {@code INTENTIONAL OFFLINE}, {@code UNKNOWN}
 * @param flag {@code FAULTED}, {@code ADMIN_WAIT} or null
 */
public record Published(String state, String flag, long seq, Instant at) {
  /** Whether this says the guest runs on the node. */
  public boolean online() {
    return "ONLINE".equals(state);
  }

  /** Whether this says the guest does not run on the node. */
  public boolean offline() {
    return "OFFLINE".equals(state) || "INTENTIONAL OFFLINE".equals(state);
  }

  /** Whether this says the agent gave up on it here. */
  public boolean faulted() {
    return "FAULTED".equals(flag);
  }

  /** Whether it agrees with the truth (UNKNOWN agrees with nothing). */
  public boolean agrees(Copy truth) {
    return truth != Copy.UNKNOWN && (truth.runs() ? online() : offline());
  }
}
