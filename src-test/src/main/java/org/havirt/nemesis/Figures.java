package org.havirt.nemesis;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The campaign's figures: per fault kind, how many were injected, how many the agents saw (a state
 * published on a node the fault reached, after it), how many recovered (every resource of the lanes
 * it reached back at its true state within {@link Bounds#SETTLE} of the heal) and how long that
 * took; and the engine's view. Thread-safe.
 */
public final class Figures {
  private static final class Tracked {
    final Injection inj;
    final Set<String> nodes = new HashSet<>();
    volatile boolean seen;
    volatile Duration recovered;
    volatile boolean gaveUp;

    Tracked(Injection inj) {
      this.inj = inj;
      inj.touches.forEach(p -> nodes.add(p.node()));
      nodes.addAll(inj.agentsOut);
      nodes.addAll(inj.hypervisorsOut);
    }
  }

  private final List<Tracked> tracked = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> violationsByKind =
      new java.util.concurrent.ConcurrentHashMap<>();
  final AtomicInteger failovers = new AtomicInteger();
  final AtomicInteger falseFailovers = new AtomicInteger();
  final AtomicInteger engineOps = new AtomicInteger();

  void injected(Injection i) {
    tracked.add(new Tracked(i));
  }

  void published(Place p, Published now) {
    for (Tracked t : tracked) {
      if (!t.seen && t.nodes.contains(p.node()) && now.at().isAfter(t.inj.at)) {
        t.seen = true;
      }
    }
  }

  void tick(Observer o, Instant now) {
    for (Tracked t : tracked) {
      Instant healed = t.inj.healedAt();
      if (healed == null || t.recovered != null || t.gaveUp) {
        continue;
      }
      Set<Lane> lanes = new HashSet<>();
      for (String n : t.nodes) {
        lanes.add(o.world().laneOf(n));
      }
      if (lanes.stream().allMatch(o::settled)) {
        t.recovered = Duration.between(healed, now);
      } else if (Duration.between(healed, now).compareTo(Bounds.SETTLE) > 0) {
        t.gaveUp = true;
      }
    }
  }

  void violation(Violation v, List<Injection> active) {
    Set<String> kinds = new HashSet<>();
    for (Injection i : active) {
      if (i.explains(v.at())) {
        kinds.add(i.kind);
      }
    }
    if (kinds.isEmpty()) {
      kinds.add("(no fault)");
    }
    for (String k : kinds) {
      violationsByKind.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
    }
  }

  /** How many faults were injected. */
  public int faults() {
    return tracked.size();
  }

  /** A Markdown table of the figures per fault kind. */
  public String table() {
    Map<String, List<Tracked>> byKind = new TreeMap<>();
    for (Tracked t : tracked) {
      byKind.computeIfAbsent(t.inj.kind, k -> new ArrayList<>()).add(t);
    }
    StringBuilder sb =
        new StringBuilder(
            "| fault | injected | seen by the agents | recovered | median to true state s | p95 s |"
                + " violations |\n|---|---|---|---|---|---|---|\n");
    for (var e : byKind.entrySet()) {
      List<Long> ms = new ArrayList<>();
      int seen = 0;
      for (Tracked t : e.getValue()) {
        seen += t.seen ? 1 : 0;
        if (t.recovered != null) {
          ms.add(t.recovered.toMillis());
        }
      }
      ms.sort(null);
      AtomicInteger v = violationsByKind.get(e.getKey());
      sb.append(
          String.format(
              "| %s | %d | %d | %d | %s | %s | %d |%n",
              e.getKey(),
              e.getValue().size(),
              seen,
              ms.size(),
              pct(ms, 50),
              pct(ms, 95),
              v == null ? 0 : v.get()));
    }
    AtomicInteger none = violationsByKind.get("(no fault)");
    if (none != null) {
      sb.append(String.format("| (no fault active) | - | - | - | - | - | %d |%n", none.get()));
    }
    return sb.toString();
  }

  private static String pct(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return "-";
    }
    int i =
        Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    return String.format("%.2f", sorted.get(i) / 1000.0);
  }
}
