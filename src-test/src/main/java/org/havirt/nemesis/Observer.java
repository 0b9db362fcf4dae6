package org.havirt.nemesis;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads the truth (every {@link TruthSource}, every 20 ms) and what the agents publish (a
 * subscription of its own), and checks the invariants continuously (docs/reliability.md). It never
 * asks an agent what runs where. It judges {@code untouched}, {@code true-state}, {@code
 * daemon-lives} and {@code answered-by-deadline} itself; the rest to {@link PublishJudge}, {@link
 * OneCopyJudge}, {@link LogJudge}, {@link AcceptProbe} and the backends' {@link ExtraInvariant}s,
 * with what faults and engine requests explain in {@link Excuses}.
 *
 * <p>Thread-safe: the sampling thread owns the truth maps; events, engine ops, injections and log
 * lines arrive from other threads into concurrent collections.
 */
public final class Observer implements AutoCloseable {
  private static final Duration TICK = Duration.ofMillis(20);

  private final World world;
  private final List<TruthSource> sources;
  private final List<ExtraInvariant> extras;
  final Subscriptions subs;
  private final Map<Place, Copy> truth = new ConcurrentHashMap<>();
  private final Map<Place, Copy> lastKnown = new HashMap<>();
  private final Map<Place, Instant> runsSince = new ConcurrentHashMap<>();
  private final Map<Place, Instant> offSince = new ConcurrentHashMap<>();
  private final Map<Place, Instant> disagreeSince = new HashMap<>();
  private final List<Map.Entry<Place, Instant>> stops = new ArrayList<>();
  private final Excuses excuses = new Excuses();
  private final LogJudge logs = new LogJudge(this::violate);
  private final PublishJudge publishes = new PublishJudge(runsSince, offSince, this::violate);
  private final OneCopyJudge oneCopy;
  private final List<Violation> violations = new CopyOnWriteArrayList<>();
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final Figures figures;
  private final Thread sampler;
  private final AcceptProbe prober;
  private volatile boolean closed;
  private long ticks;

  Observer(World world, List<TruthSource> sources, List<ExtraInvariant> extras, Figures figures) {
    this.world = world;
    this.sources = List.copyOf(sources);
    this.extras = List.copyOf(extras);
    this.figures = figures;
    this.subs = new Subscriptions(world, "observer", this::published);
    for (Lane l : world.lanes()) {
      for (AgentNode n : l.nodes()) {
        n.onLine(logs::line);
      }
    }
    sampler = new Thread(this::sampleLoop, "nemesis-observer");
    sampler.setDaemon(true);
    prober = new AcceptProbe(world, excuses, this::violate);
    oneCopy = new OneCopyJudge(world, excuses, this::truth, this::violate);
  }

  void start() {
    sampler.start();
    prober.start();
  }

  // ---- inputs from the rest of the harness ----

  /** A fault was injected (the scheduler's thread); its injection began at {@code begun}. */
  void injected(Injection i, Instant begun) {
    i.begun(begun);
    excuses.add(i);
    figures.injected(i);
    world.ring.add("fault", "inject " + i);
  }

  /**
   * Excuses what an engine operation that is not an entry point explains, like a fault but not
   * counted as one: a resource disabled ({@code Enabled = 0}) or deleted is not monitored.
   */
  void excuse(Injection i) {
    excuses.add(i);
    world.ring.add("engine", "excused while it lasts: " + i);
  }

  /** An engine request was sent. */
  void sent(EngineOp op) {
    excuses.add(op);
  }

  /** An engine request had no reply by its deadline. */
  void overdue(EngineOp op, Duration waited) {
    Instant now = Instant.now();
    if (excuses.agentOut(op.place.node(), op.start) || excuses.agentOut(op.place.node(), now)) {
      return;
    }
    violate(
        "answered-by-deadline",
        "engine request " + op + " not answered within " + waited + " (its deadline)");
  }

  World world() {
    return world;
  }

  // ---- truth ----

  /** The truth of a place now. */
  public Copy truth(Place p) {
    return truth.getOrDefault(p, Copy.UNKNOWN);
  }

  /** How long the truth has said the guest is off at the place (zero if not off now). */
  public Duration offFor(Place p) {
    Instant since = offSince.get(p);
    return since == null ? Duration.ZERO : Duration.between(since, Instant.now());
  }

  /** The places of a resource where the truth says it runs now. */
  public List<Place> runningPlaces(Lane lane, String resource) {
    List<Place> r = new ArrayList<>();
    for (Place p : lane.places(resource)) {
      if (truth(p).runs()) {
        r.add(p);
      }
    }
    return r;
  }

  private void sampleLoop() {
    while (!closed) {
      long t0 = System.nanoTime();
      try {
        tick();
      } catch (RuntimeException e) {
        world.ring.add("observer", "sampling failed: " + e);
      }
      long left = TICK.toNanos() - (System.nanoTime() - t0);
      if (left > 0) {
        try {
          Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void tick() {
    Instant now = Instant.now();
    for (TruthSource s : sources) {
      List<Fact> facts = s.sample();
      // Stamped when the sample returned: what it read may be that recent, and a stop stamped
      // earlier could precede the command that caused it.
      Instant read = Instant.now();
      for (Fact f : facts) {
        update(f, read);
      }
    }
    judgeStops(now);
    publishes.judge(now);
    oneCopy.judge(now);
    staleStates(now);
    for (Lane l : world.lanes()) {
      for (AgentNode n : l.nodes()) {
        String why = n.unexpectedExit();
        if (why != null) {
          violate("daemon-lives", why);
        }
      }
    }
    if (++ticks % 10 == 0) {
      for (ExtraInvariant x : extras) {
        x.check().ifPresent(v -> violate(x.name(), v));
      }
      figures.tick(this, now);
      excuses.prune(now);
    }
  }

  private void update(Fact f, Instant now) {
    Place p = f.place();
    Copy before = truth.put(p, f.copy());
    if (before != f.copy()) {
      world.ring.add("truth", p + " " + before + " -> " + f.copy() + " " + f.detail());
    }
    if (f.copy() == Copy.UNKNOWN) {
      runsSince.remove(p);
      offSince.remove(p);
      return;
    }
    if (f.copy().runs()) {
      offSince.remove(p);
      runsSince.putIfAbsent(p, now);
    } else {
      runsSince.remove(p);
      offSince.putIfAbsent(p, now);
    }
    Copy known = lastKnown.put(p, f.copy());
    if (known != null && known.runs() && !f.copy().runs()) {
      // Judged a little later: a fault is registered only once its injection returned.
      stops.add(Map.entry(p, now));
    }
  }

  private void judgeStops(Instant now) {
    var it = stops.iterator();
    while (it.hasNext()) {
      var s = it.next();
      if (s.getValue().isBefore(now.minusSeconds(2))) {
        it.remove();
        stopped(s.getKey(), s.getValue());
      }
    }
  }

  private void stopped(Place p, Instant now) {
    if (excuses.stop(p, now)) {
      return;
    }
    violate(
        "untouched",
        "the guest of "
            + p
            + " stopped with no engine command (offline, clean, migrate) and no fault asking");
  }

  private void staleStates(Instant now) {
    for (Lane l : world.lanes()) {
      for (AgentNode n : l.nodes()) {
        Instant live = subs.liveSince(n.name());
        boolean watchable =
            n.meantUp()
                && live != null
                && live.isBefore(now.minus(Bounds.PUBLISH))
                && !excuses.agentOut(n.name(), now)
                && !excuses.hypervisorOut(n.name(), now);
        for (String r : l.resources()) {
          Place p = new Place(n.name(), r);
          Published pub = subs.get(p);
          Copy t = truth(p);
          boolean disagree =
              watchable
                  && pub != null
                  && t != Copy.UNKNOWN
                  && !"UNKNOWN".equals(pub.state())
                  && !pub.agrees(t);
          if (!disagree) {
            disagreeSince.remove(p);
            continue;
          }
          Instant since = disagreeSince.computeIfAbsent(p, k -> now);
          if (Duration.between(since, now).compareTo(Bounds.PROPAGATE) > 0) {
            violate(
                "true-state",
                p
                    + " published "
                    + pub.state()
                    + " while the truth is "
                    + t
                    + " for "
                    + Duration.between(since, now).toMillis()
                    + " ms");
          }
        }
      }
    }
  }

  // ---- what the agents publish (their logs: LogJudge) ----

  private void published(Place p, Published now) {
    world.ring.add(
        "published " + p.node(),
        p.resource() + " " + now.state() + " flag=" + now.flag() + " seq=" + now.seq());
    figures.published(p, now);
    logs.published(p, now.state());
    publishes.published(p, now);
  }

  // ---- verdicts ----

  /** Brings the figures up to date now (the campaign's end comes between two ticks). */
  void updateFigures() {
    figures.tick(this, Instant.now());
  }

  /** Whether every place of the lane agrees with the truth and none is UNKNOWN. */
  public boolean settled(Lane l) {
    for (String r : l.resources()) {
      for (Place p : l.places(r)) {
        Published pub = subs.get(p);
        if (pub == null || !pub.agrees(truth(p))) {
          return false;
        }
      }
    }
    return true;
  }

  /** What disagrees in the lane, for a report. */
  public String disagreements(Lane l) {
    StringBuilder sb = new StringBuilder();
    for (String r : l.resources()) {
      for (Place p : l.places(r)) {
        Published pub = subs.get(p);
        if (pub == null || !pub.agrees(truth(p))) {
          sb.append(p)
              .append(": published ")
              .append(pub == null ? "nothing" : pub.state())
              .append(", truth ")
              .append(truth(p))
              .append("; ");
        }
      }
    }
    return sb.toString();
  }

  /** Records a violation (once per invariant and text) and prints its report at once. */
  public void violate(String invariant, String text) {
    if (!reported.add(invariant + "|" + text)) {
      return;
    }
    world.ring.add("VIOLATION", invariant + ": " + text);
    Violation v = new Violation(invariant, text, Instant.now(), world.ring.last(EventRing.SHOWN));
    violations.add(v);
    figures.violation(v, excuses.injections());
    System.out.println(v.report(world.seed));
    System.out.flush();
  }

  public List<Violation> violations() {
    return List.copyOf(violations);
  }

  @Override
  public void close() {
    closed = true;
    sampler.interrupt();
    prober.close();
    subs.close();
    for (TruthSource s : sources) {
      s.close();
    }
  }
}
