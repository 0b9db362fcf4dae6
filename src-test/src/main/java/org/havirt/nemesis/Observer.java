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
 * asks an agent what runs where.
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
  private final Map<String, Instant> twoSince = new HashMap<>();
  private final List<Injection> injections = new CopyOnWriteArrayList<>();
  private final List<EngineOp> ops = new CopyOnWriteArrayList<>();
  private final List<Map.Entry<Place, Instant>> stops = new ArrayList<>();
  private final List<Pub> pubs = new ArrayList<>();
  private final Map<Place, String> loggedState = new ConcurrentHashMap<>();
  private final List<Violation> violations = new CopyOnWriteArrayList<>();
  private final Set<String> reported = ConcurrentHashMap.newKeySet();
  private final Figures figures;
  private final Thread sampler;
  private final Thread prober;
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
        n.onLine(this::logLine);
      }
    }
    sampler = new Thread(this::sampleLoop, "nemesis-observer");
    sampler.setDaemon(true);
    prober = new Thread(this::probeLoop, "nemesis-accept-probe");
    prober.setDaemon(true);
  }

  void start() {
    sampler.start();
    prober.start();
  }

  // ---- inputs from the rest of the harness ----

  /** A fault was injected (the scheduler's thread); its injection began at {@code begun}. */
  void injected(Injection i, Instant begun) {
    i.begun(begun);
    injections.add(i);
    figures.injected(i);
    world.ring.add("fault", "inject " + i);
  }

  /**
   * Excuses what an engine operation that is not an entry point explains, like a fault but not
   * counted as one: a resource disabled ({@code Enabled = 0}) or deleted is not monitored.
   */
  void excuse(Injection i) {
    injections.add(i);
    world.ring.add("engine", "excused while it lasts: " + i);
  }

  /** An engine request was sent. */
  void sent(EngineOp op) {
    ops.add(op);
  }

  /** An engine request had no reply by its deadline. */
  void overdue(EngineOp op, Duration waited) {
    Instant now = Instant.now();
    if (explainsAgent(op.place.node(), op.start) || explainsAgent(op.place.node(), now)) {
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
    judgePublished(now);
    twoCopies(now);
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
      ops.removeIf(o -> o.end() != null && o.end().isBefore(now.minusSeconds(60)));
      injections.removeIf(i -> i.healedAt() != null && i.healedAt().isBefore(now.minusSeconds(60)));
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
    for (EngineOp o : ops) {
      if (o.mayStop(p) && o.covers(now)) {
        return;
      }
    }
    for (Injection i : injections) {
      if (i.touches.contains(p) && i.explains(now)) {
        return;
      }
    }
    violate(
        "untouched",
        "the guest of "
            + p
            + " stopped with no engine command (offline, clean, migrate) and no fault asking");
  }

  private void twoCopies(Instant now) {
    for (Lane l : world.lanes()) {
      for (String r : l.resources()) {
        int running = 0;
        int held = 0;
        for (Place p : l.places(r)) {
          Copy c = truth(p);
          running += c == Copy.RUNNING ? 1 : 0;
          held += c.runs() ? 1 : 0;
        }
        boolean migrating = false;
        for (EngineOp o : ops) {
          migrating |= o.op.equals("migrate") && o.place.resource().equals(r) && o.covers(now);
        }
        for (Injection i : injections) {
          migrating |=
              i.kind.contains("migrate")
                  && i.explains(now)
                  && i.touches.stream().anyMatch(p -> p.resource().equals(r));
        }
        boolean two = running >= 2 || (held >= 2 && !migrating);
        String key = l.name() + "/" + r;
        if (!two) {
          twoSince.remove(key);
        } else {
          Instant since = twoSince.computeIfAbsent(key, k -> now);
          if (Duration.between(since, now).compareTo(Bounds.TWO_COPIES) >= 0) {
            violate(
                "one-copy", "two copies of " + r + " in lane " + l.name() + ": " + copies(l, r));
          }
        }
      }
    }
  }

  private String copies(Lane l, String r) {
    StringBuilder sb = new StringBuilder();
    for (Place p : l.places(r)) {
      sb.append(p).append('=').append(truth(p)).append(' ');
    }
    return sb.toString().trim();
  }

  private void staleStates(Instant now) {
    for (Lane l : world.lanes()) {
      for (AgentNode n : l.nodes()) {
        Instant live = subs.liveSince(n.name());
        boolean watchable =
            n.meantUp()
                && live != null
                && live.isBefore(now.minus(Bounds.PUBLISH))
                && !explainsAgent(n.name(), now)
                && !explainsHypervisor(n.name(), now);
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

  private boolean explainsAgent(String node, Instant t) {
    for (Injection i : injections) {
      if (i.agentsOut.contains(node) && i.explains(t)) {
        return true;
      }
    }
    return false;
  }

  private boolean explainsHypervisor(String node, Instant t) {
    for (Injection i : injections) {
      if (i.hypervisorsOut.contains(node) && i.explains(t)) {
        return true;
      }
    }
    return false;
  }

  // ---- what the agents publish and log ----

  private void published(Place p, Published now) {
    world.ring.add(
        "published " + p.node(),
        p.resource() + " " + now.state() + " flag=" + now.flag() + " seq=" + now.seq());
    figures.published(p, now);
    // The agent publishes a new state before it logs it: a decision it logs in between was taken
    // in the published state, not in the logged one before (rhev seed 23: ONLINE published, then a
    // clean retry, then "resource state ... ONLINE" logged, judged as acting while UNKNOWN).
    loggedState.put(p, now.state());
    synchronized (pubs) {
      pubs.add(new Pub(p, now, runsSince.get(p), offSince.get(p)));
    }
  }

  /** A published state waiting for a truth sample taken after it arrived. */
  private record Pub(Place place, Published state, Instant runs, Instant off) {}

  /**
   * Judges what was published once the truth has been sampled after it: false only if the guest ran
   * (did not run) there for {@link Bounds#PUBLISH} before the state arrived and still does, the
   * same uninterrupted run, at a sample taken after it (the last sample before the arrival may be
   * up to a tick older than the agent's own look).
   */
  private void judgePublished(Instant now) {
    List<Pub> due = new ArrayList<>();
    synchronized (pubs) {
      var it = pubs.iterator();
      while (it.hasNext()) {
        Pub x = it.next();
        if (x.state().at().isBefore(now.minusMillis(300))) {
          due.add(x);
          it.remove();
        }
      }
    }
    for (Pub x : due) {
      Place p = x.place();
      Published st = x.state();
      Instant cutoff = st.at().minus(Bounds.PUBLISH);
      if ((st.offline() || st.faulted())
          && x.runs() != null
          && x.runs().isBefore(cutoff)
          && x.runs().equals(runsSince.get(p))) {
        violate(
            "no-false-fault",
            p
                + " published "
                + st.state()
                + " flag="
                + st.flag()
                + " while the guest has run there since "
                + x.runs()
                + " and still does");
      }
      if (st.online()
          && x.off() != null
          && x.off().isBefore(cutoff)
          && x.off().equals(offSince.get(p))) {
        violate(
            "no-false-online",
            p
                + " published ONLINE while the guest has not run there since "
                + x.off()
                + " and still does not");
      }
    }
  }

  private void logLine(String node, String line) {
    if (line.startsWith("ERROR ") || line.contains("Exception in thread")) {
      // The agent logs ERROR only for what must not happen: a failed loop task, a dead socket.
      violate("no-internal-error", "agent " + node + ": " + line);
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
      violate("no-action-on-unknown", "agent " + node + " acted while UNKNOWN: " + line);
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

  // ---- liveness ----

  private void probeLoop() {
    while (!closed) {
      for (Lane l : world.lanes()) {
        for (AgentNode n : l.nodes()) {
          probe(n);
        }
      }
      try {
        Thread.sleep(2000); // one connection per agent every 2 s
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void probe(AgentNode n) {
    Instant t0 = Instant.now();
    if (!n.meantUp() || explainsAgent(n.name(), t0)) {
      return;
    }
    String failure = null;
    try (AgentLink link = new AgentLink(n.socket(), "probe-" + n.name(), e -> {}, () -> {})) {
      var r =
          link.call("hello", "versions", List.of(1))
              .get(Bounds.ACCEPT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      if (!r.path("ok").asBoolean()) {
        failure = "hello refused: " + r;
      }
    } catch (Exception e) {
      failure = e.toString();
    }
    Instant t1 = Instant.now();
    if (failure != null
        && !closed
        && n.meantUp()
        && !explainsAgent(n.name(), t0)
        && !explainsAgent(n.name(), t1)) {
      violate("accepts", "agent " + n.name() + " did not serve a new connection: " + failure);
    }
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
    figures.violation(v, injections);
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
    prober.interrupt();
    subs.close();
    for (TruthSource s : sources) {
      s.close();
    }
  }
}
