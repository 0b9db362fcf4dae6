package org.havirt.nemesis;

import java.time.Instant;
import java.util.List;

/** An invariant broken: which, what was seen, when, and the events before it. Immutable. */
public record Violation(String invariant, String text, Instant at, List<EventRing.Event> last) {
  /** The report a violation prints: the seed, the invariant, the last events. */
  public String report(long seed) {
    StringBuilder sb =
        new StringBuilder()
            .append("VIOLATION (seed ")
            .append(seed)
            .append(") ")
            .append(invariant)
            .append(" at ")
            .append(at)
            .append(": ")
            .append(text)
            .append("\nthe last ")
            .append(last.size())
            .append(" events:\n");
    for (EventRing.Event e : last) {
      sb.append("  ").append(e).append('\n');
    }
    return sb.toString();
  }
}
