package org.havirt.nemesis;

import java.time.Instant;

/**
 * An engine request, as the observer sees it: which op, on which place, when it was sent and
 * answered. Thread-safe: {@link #end} is set once by the engine.
 */
public final class EngineOp {
  /** How long after its reply an op still explains a change of its place (a loaded machine). */
  static final java.time.Duration GRACE = java.time.Duration.ofSeconds(5);

  public final String op;
  public final Place place;
  public final String target;
  public final Instant start = Instant.now();
  private volatile Instant end;

  EngineOp(String op, Place place, String target) {
    this.op = op;
    this.place = place;
    this.target = target;
  }

  void ended() {
    end = Instant.now();
  }

  public Instant end() {
    return end;
  }

  /** Whether the op was under way at {@code t} (or answered at most GRACE before). */
  boolean covers(Instant t) {
    Instant e = end;
    return !t.isBefore(start) && (e == null || !t.isAfter(e.plus(GRACE)));
  }

  /**
   * Whether this op may stop the guest of {@code p}: an offline or clean there, a migration from
   * there, or a migration to there (a failed one ends the incoming copy).
   */
  boolean mayStop(Place p) {
    return (place.equals(p) && (op.equals("offline") || op.equals("clean") || op.equals("migrate")))
        || (op.equals("migrate")
            && place.resource().equals(p.resource())
            && p.node().equals(target));
  }

  /** Whether this op may start the guest on {@code p} (a start there, or a migration to it). */
  boolean mayStart(Place p) {
    return (op.equals("online") && place.equals(p))
        || (op.equals("migrate")
            && place.resource().equals(p.resource())
            && p.node().equals(target));
  }

  @Override
  public String toString() {
    return op + " " + place + (target == null ? "" : " -> " + target);
  }
}
