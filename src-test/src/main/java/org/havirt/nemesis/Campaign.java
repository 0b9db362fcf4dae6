package org.havirt.nemesis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A nemesis campaign (docs/reliability.md): real agents on private hypervisors, an engine driving
 * them, random schedules of faults and operations from a seed, and an observer checking the
 * invariants all along. Ends with one line: {@code nemesis: <schedules> schedules, <faults> faults,
 * <ops> engine operations, <violations> violations (seed S)}; exit status 0 only without
 * violations.
 *
 * <p>Usage: {@code Campaign [--seed S] [--minutes M] [--nodes 1|2] [--backend kvm|rhev|both] [--dir
 * DIR] [--report FILE]}. Not thread-safe: one campaign per process.
 */
public final class Campaign {
  /** How long a schedule's faults and operations go on before everything heals. */
  static final Duration ACTIVE = Duration.ofSeconds(30);

  /** The campaign's settings. */
  public record Settings(
      long seed, double minutes, int nodes, String backend, Path dir, Path report) {}

  /** What a campaign did. */
  public record Result(
      int schedules, int faults, int operations, List<Violation> violations, String summary) {}

  private final Settings s;

  public Campaign(Settings s) {
    this.s = s;
  }

  public static void main(String[] args) throws Exception {
    long seed = System.nanoTime() % 1_000_000;
    double minutes = 2;
    int nodes = 2;
    String backend = "kvm";
    Path dir = null;
    Path report = null;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : "";
      switch (args[i]) {
        case "--seed" -> seed = Long.parseLong(v);
        case "--minutes" -> minutes = Double.parseDouble(v);
        case "--nodes" -> nodes = Integer.parseInt(v);
        case "--backend" -> backend = v;
        case "--dir" -> dir = Path.of(v);
        case "--report" -> report = Path.of(v);
        default -> {
          System.err.println("nemesis: unknown option " + args[i]);
          System.exit(2);
        }
      }
      i++;
    }
    if (nodes != 1 && nodes != 2) {
      System.err.println("nemesis: --nodes must be 1 or 2");
      System.exit(2);
    }
    if (dir == null) {
      dir = Files.createTempDirectory("havirt-nemesis-" + seed + "-");
    }
    Result r = new Campaign(new Settings(seed, minutes, nodes, backend, dir, report)).run();
    System.out.println(r.summary());
    System.exit(r.violations().isEmpty() ? 0 : 1);
  }

  /** Runs the campaign; throws only if it could not be set up. */
  public Result run() throws Exception {
    Files.createDirectories(s.dir());
    EventRing ring = new EventRing(s.dir().resolve("events.log"));
    World world = new World(s.dir(), ring, s.seed());
    List<Backend> backends = Backends.forName(s.backend(), s.nodes());
    // An interrupted campaign (Ctrl-C, a killed test run) still stops every daemon it started.
    Thread hook =
        new Thread(
            () -> {
              for (Backend b : backends) {
                b.close();
              }
            },
            "nemesis-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    Figures figures = new Figures();
    Observer observer = null;
    Engine engine = null;
    ScheduledExecutorService healer =
        Executors.newScheduledThreadPool(
            3,
            r -> {
              Thread t = new Thread(r, "nemesis-healer");
              t.setDaemon(true);
              return t;
            });
    Instant began = Instant.now();
    int schedules = 0;
    try {
      List<TruthSource> truth = new ArrayList<>();
      List<ExtraInvariant> extras = new ArrayList<>();
      List<FaultKind> faults = new ArrayList<>();
      for (Backend b : backends) {
        b.setUp(world);
        world.lanes.addAll(b.lanes());
        truth.addAll(b.truth());
        extras.addAll(b.invariants());
      }
      for (Backend b : backends) {
        faults.addAll(b.faults());
      }
      observer = new Observer(world, truth, extras, figures);
      world.observer = observer;
      engine = new Engine(world, observer, figures);
      world.engine = engine;
      observer.start();
      engine.start();
      ring.add(
          "campaign",
          "seed "
              + s.seed()
              + ", nodes "
              + s.nodes()
              + ", backend "
              + s.backend()
              + ", lanes "
              + world.lanes().stream().map(Lane::name).toList()
              + ", fault kinds "
              + faults.stream().map(FaultKind::name).toList());
      System.out.println(
          "nemesis: set up in "
              + Duration.between(began, Instant.now()).toSeconds()
              + " s; "
              + world.lanes().size()
              + " lanes, "
              + faults.size()
              + " fault kinds; dir "
              + s.dir());
      settle(world, "the start", Instant.now());
      Instant end = began.plusMillis((long) (s.minutes() * 60_000));
      List<String> kinds = faults.stream().map(FaultKind::name).toList();
      do {
        runSchedule(world, faults, kinds, schedules, healer);
        schedules++;
      } while (Instant.now().plus(ACTIVE).plus(Duration.ofSeconds(10)).isBefore(end));
    } finally {
      healer.shutdownNow();
      if (engine != null) {
        engine.close();
      }
      if (observer != null) {
        observer.close();
      }
      for (Backend b : backends) {
        b.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs, and closing twice is harmless
      }
      ring.flush();
    }
    List<Violation> v = observer.violations();
    String summary =
        String.format(
            "nemesis: %d schedules, %d faults, %d engine operations, %d violations (seed %d)",
            schedules, figures.faults(), figures.engineOps.get(), v.size(), s.seed());
    if (s.report() != null) {
      Report.write(s, figures, v, schedules, Duration.between(began, Instant.now()), summary);
    }
    return new Result(schedules, figures.faults(), figures.engineOps.get(), v, summary);
  }

  private void runSchedule(
      World world,
      List<FaultKind> faults,
      List<String> kinds,
      int index,
      ScheduledExecutorService healer)
      throws Exception {
    Schedule plan = Schedule.plan(s.seed(), index, ACTIVE, kinds);
    world.ring.add("schedule", "schedule " + index + " begins: " + plan.steps().size() + " steps");
    Random goals = new Random(s.seed() * 31 + index);
    for (Lane l : world.lanes()) {
      for (String r : l.resources()) {
        world.engine().want(r, goals.nextDouble() < 0.75);
      }
    }
    List<Injection> injected = new ArrayList<>();
    long t0 = System.nanoTime();
    for (Schedule.Step step : plan.steps()) {
      long wait = step.atMs() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      if (wait > 0) {
        Thread.sleep(wait); // the plan's own timing
      }
      Random rng = new Random(step.seed());
      world.ring.add("schedule", step.toString());
      if (step.fault()) {
        FaultKind k =
            faults.stream().filter(f -> f.name().equals(step.what())).findFirst().orElseThrow();
        Instant begun = Instant.now();
        try {
          k.inject(world, rng)
              .ifPresent(
                  i -> {
                    world.observer().injected(i, begun);
                    injected.add(i);
                    if (!i.lasts.isZero()) {
                      healer.schedule(
                          () -> heal(world, i), i.lasts.toMillis(), TimeUnit.MILLISECONDS);
                    }
                  });
        } catch (Exception e) {
          world.ring.add("fault", step.what() + " could not be injected: " + e);
        }
      } else {
        op(world, step.what(), rng);
      }
    }
    long left = ACTIVE.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    if (left > 0) {
      Thread.sleep(left); // the rest of the schedule's active time
    }
    for (Injection i : injected) {
      heal(world, i);
    }
    Instant healed = Instant.now();
    world.ring.add("schedule", "schedule " + index + ": every fault healed");
    settle(world, "schedule " + index, healed);
  }

  private static void heal(World world, Injection i) {
    try {
      boolean was = i.healedAt() != null;
      i.heal();
      if (!was) {
        world.ring.add("fault", "healed " + i);
      }
    } catch (Exception e) {
      world.ring.add("fault", "heal of " + i + " failed: " + e);
    }
  }

  private static void op(World world, String op, Random rng) {
    List<Lane> lanes = world.lanes();
    Lane l = lanes.get(rng.nextInt(lanes.size()));
    String r = l.resources().get(rng.nextInt(l.resources().size()));
    switch (op) {
      case "goal-online" -> world.engine().want(r, true);
      case "goal-offline" -> world.engine().want(r, false);
      default -> world.engine().oneShot(r, op);
    }
  }

  /** Waits until every lane is at its true state and the engine's goal; a violation if not. */
  private static void settle(World world, String what, Instant from) throws InterruptedException {
    Instant deadline = from.plus(Bounds.SETTLE);
    while (Instant.now().isBefore(deadline)) {
      boolean all = true;
      for (Lane l : world.lanes()) {
        all &= world.observer().settled(l) && world.engine().goalMet(l);
      }
      if (all) {
        world.ring.add(
            "schedule",
            what
                + ": true state reached in "
                + Duration.between(from, Instant.now()).toMillis()
                + " ms");
        world.observer().updateFigures();
        return;
      }
      Thread.sleep(100); // polling the observer's view, with the bound as deadline
    }
    StringBuilder sb = new StringBuilder();
    for (Lane l : world.lanes()) {
      sb.append(l.name())
          .append(": ")
          .append(world.observer().disagreements(l))
          .append(world.engine().goalMet(l) ? "" : "engine goal not met; ");
    }
    world
        .observer()
        .violate(
            "settles",
            what
                + ": not at the true state "
                + Bounds.SETTLE
                + " after the last fault healed: "
                + sb);
  }
}
