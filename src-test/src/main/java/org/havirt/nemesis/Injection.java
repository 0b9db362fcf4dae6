package org.havirt.nemesis;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * A fault that was injected: what it may explain, and how to heal it.
 *
 * <p>The observer excuses what a fault explains, within {@link #GRACE} after it healed: a guest
 * stopped, started or moved on a place in {@code touches}; silence and UNKNOWN of the agents in
 * {@code agentsOut}; UNKNOWN on nodes in {@code hypervisorsOut}. Thread-safe: {@link #heal} may be
 * called more than once and from any thread; it heals once.
 */
public final class Injection {
  /** How long after its heal a fault still explains what it touched (a loaded machine's lag). */
  public static final Duration GRACE = Duration.ofSeconds(10);

  /** Heals a fault: thaws, restarts, resumes. */
  @FunctionalInterface
  public interface Healer {
    void heal() throws Exception;
  }

  public final String kind;
  public final String text;
  public final Set<Place> touches;
  public final Set<String> agentsOut;
  public final Set<String> hypervisorsOut;
  public final Instant at = Instant.now();
  private volatile Instant from = at;
  public final Duration lasts;
  private final Healer healer;
  private volatile Instant healedAt;

  /**
   * @param kind the {@link FaultKind#name}
   * @param text what was done, for the event log
   * @param touches places whose guest it may stop, start or move
   * @param agentsOut nodes whose agent it silences (killed, stopped, connection dropped)
   * @param hypervisorsOut nodes whose hypervisor it makes unreadable (UNKNOWN is right there)
   * @param lasts how long until the scheduler heals it; zero for an instant fault
   * @param healer what heals it; null for an instant fault
   */
  public Injection(
      String kind,
      String text,
      Set<Place> touches,
      Set<String> agentsOut,
      Set<String> hypervisorsOut,
      Duration lasts,
      Healer healer) {
    this.kind = kind;
    this.text = text;
    this.touches = Set.copyOf(touches);
    this.agentsOut = Set.copyOf(agentsOut);
    this.hypervisorsOut = Set.copyOf(hypervisorsOut);
    this.lasts = lasts;
    this.healer = healer;
    if (healer == null) {
      healedAt = at;
    }
  }

  /** Heals it (once). */
  public void heal() throws Exception {
    synchronized (this) {
      if (healedAt != null) {
        return;
      }
      try {
        healer.heal();
      } finally {
        healedAt = Instant.now();
      }
    }
  }

  /** When it healed, or null while it lasts. */
  public Instant healedAt() {
    return healedAt;
  }

  /** Sets when its injection began (before the fault acted; the object is made after). */
  void begun(Instant t) {
    from = t;
  }

  /** Whether it explains things at {@code t}: its injection had begun, healed at most GRACE ago. */
  public boolean explains(Instant t) {
    Instant h = healedAt;
    return !t.isBefore(from) && (h == null || !t.isAfter(h.plus(GRACE)));
  }

  @Override
  public String toString() {
    return kind + ": " + text;
  }
}
