package org.havirt.nemesis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Judges the agents' log lines: {@code no-internal-error} (an ERROR line or an uncaught exception)
 * and {@code no-action-on-unknown} (a decision logged while the resource's state was UNKNOWN: in
 * the line's own {@code state=} field, else the last state the agent published or logged).
 * Contract: a published state counts from its arrival, because the agent publishes a new state
 * before it logs it.
 *
 * <p>Thread-safe: lines arrive from each agent's log reader thread and published states from the
 * observer's subscription thread; the state map is concurrent.
 */
final class LogJudge {
  private final Map<Place, String> loggedState = new ConcurrentHashMap<>();
  private final BiConsumer<String, String> violate;

  /** {@code violate} receives an invariant's name and what broke it. */
  LogJudge(BiConsumer<String, String> violate) {
    this.violate = violate;
  }

  /**
   * A state the agent published. A decision it logs in between was taken in the published state,
   * not in the logged one before (rhev seed 23: ONLINE published, then a clean retry, then
   * "resource state ... ONLINE" logged, judged as acting while UNKNOWN).
   */
  void published(Place p, String state) {
    loggedState.put(p, state);
  }

  /** One line of an agent's log. */
  void line(String node, String line) {
    if (line.startsWith("ERROR ") || line.contains("Exception in thread")) {
      // The agent logs ERROR only for what must not happen: a failed loop task, a dead socket.
      violate.accept("no-internal-error", "agent " + node + ": " + line);
    }
    String res = field(line, "resource=");
    if (res == null) {
      return;
    }
    Place p = new Place(node, res);
    if (line.contains("resource state ")) {
      String st =
          line.contains("state=INTENTIONAL OFFLINE")
              ? "INTENTIONAL OFFLINE"
              : field(line, "state=");
      if (st != null) {
        loggedState.put(p, st);
      }
      return;
    }
    boolean decision =
        line.contains(" restarting after=")
            || line.contains(" retrying clean")
            || line.contains(" unexpected offline ")
            || line.contains(" online ineffective ")
            || line.contains(" offline ineffective ")
            || line.contains(" monitor hung ");
    if (!decision) {
      return;
    }
    String on = field(line, "state=");
    String last = loggedState.get(p);
    boolean unknown = on != null ? on.contains("UNKNOWN") : "UNKNOWN".equals(last);
    if (unknown) {
      violate.accept("no-action-on-unknown", "agent " + node + " acted while UNKNOWN: " + line);
    }
  }

  private static String field(String line, String key) {
    int i = line.indexOf(key);
    if (i < 0) {
      return null;
    }
    int s = i + key.length();
    int e = s;
    while (e < line.length() && !Character.isWhitespace(line.charAt(e))) {
      e++;
    }
    return line.substring(s, e);
  }
}
