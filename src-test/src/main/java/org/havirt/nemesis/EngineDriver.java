package org.havirt.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One resource's driver in the {@link Engine}: a thread that, every {@link Engine#PERIOD}, decides
 * from the engine's own subscription what the resource needs (fail over on FAULTED, clear a flag,
 * stop an extra copy, start it where every other node has it stopped; nothing while a node cannot
 * say) and sends it through {@link Engine#call}; in between it runs the one-shot operations the
 * scheduler asked for. Contract: it decides and acts only with {@link #lock} held, so a fault that
 * must not race the engine on this resource can take it; it acts on nothing it sees UNKNOWN.
 *
 * <p>Thread-safe: the goal ({@link #online}) and the one-shot queue are set from the scheduler's
 * thread; everything else belongs to the driver's thread, under {@link #lock}.
 */
final class EngineDriver {
  private final Engine engine;
  final Lane lane;
  final String resource;
  final ReentrantLock lock = new ReentrantLock();
  final Thread thread;
  final java.util.concurrent.ConcurrentLinkedQueue<String> oneShots =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  final Map<String, Instant> avoid = new ConcurrentHashMap<>();
  final Set<String> disabled = ConcurrentHashMap.newKeySet();
  volatile boolean online;
  volatile String placement;

  EngineDriver(Engine engine, Lane lane, String resource) {
    this.engine = engine;
    this.lane = lane;
    this.resource = resource;
    this.placement = lane.nodes().get(0).name();
    thread = new Thread(this::run, "nemesis-engine-" + resource);
    thread.setDaemon(true);
  }

  void run() {
    while (!engine.closed()) {
      lock.lock();
      try {
        step();
      } catch (RuntimeException e) {
        engine.world.ring.add("engine", resource + ": driver step failed: " + e);
      } finally {
        lock.unlock();
      }
      try {
        Thread.sleep(Engine.PERIOD.toMillis()); // the engine's decision period
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The engine's view of the place: null when it cannot tell (UNKNOWN, no word, disabled). */
  Published view(Place p) {
    if (disabled.contains(p.node())) {
      return null;
    }
    Published s = engine.subs.get(p);
    return s == null || "UNKNOWN".equals(s.state()) ? null : s;
  }

  void step() {
    String shot = oneShots.poll();
    if (shot != null) {
      oneShot(shot);
      return;
    }
    List<Place> places = lane.places(resource);
    List<Place> on = new ArrayList<>();
    boolean unsure = false;
    for (Place p : places) {
      Published s = view(p);
      if (s == null) {
        unsure = true;
      } else if (s.online()) {
        on.add(p);
      }
    }
    for (Place p : places) {
      Published s = view(p);
      if (s != null && s.flag() != null && !s.online()) {
        if (p.node().equals(placement) && online && s.faulted()) {
          failover(p);
        }
        if ("ADMIN_WAIT".equals(s.flag())) {
          engine.call(p, "clean", "reason", 1);
        }
        engine.call(p, "clear");
        return;
      }
    }
    if (online) {
      if (on.size() == 1) {
        placement = on.get(0).node();
        return;
      }
      if (on.size() > 1) {
        for (Place p : on) {
          if (!p.node().equals(placement)) {
            stop(p);
            return;
          }
        }
        stop(on.get(1));
        return;
      }
      if (unsure) {
        return; // some node cannot say it has the guest stopped: not sure, so wait
      }
      Place target = target(places);
      JsonNode r = engine.call(target, "online");
      if (Engine.done(r) && r.path("status").path("state").asText().equals("ONLINE")) {
        placement = target.node();
      } else if (r != null) {
        avoid.put(target.node(), Instant.now().plus(Engine.AVOID));
      }
    } else {
      for (Place p : on) {
        stop(p);
        return;
      }
    }
  }

  void failover(Place from) {
    engine.figures.failovers.incrementAndGet();
    boolean ranThere = engine.observer.truth(from).runs();
    if (ranThere) {
      engine.figures.falseFailovers.incrementAndGet();
    }
    engine.world.ring.add(
        "engine",
        "failover of "
            + resource
            + " away from "
            + from.node()
            + (ranThere ? " (FALSE: the guest runs there)" : ""));
    avoid.put(from.node(), Instant.now().plus(Engine.AVOID));
  }

  Place target(List<Place> places) {
    Instant now = Instant.now();
    for (Place p : places) {
      if (p.node().equals(placement) && !avoided(p, now)) {
        return p;
      }
    }
    for (Place p : places) {
      if (!avoided(p, now)) {
        return p;
      }
    }
    return places.get(0);
  }

  boolean avoided(Place p, Instant now) {
    Instant until = avoid.get(p.node());
    return until != null && until.isAfter(now);
  }

  void stop(Place p) {
    JsonNode r = engine.call(p, "offline");
    if (r != null && !Engine.done(r) && view(p) != null) {
      engine.call(p, "clean", "reason", 1);
    }
  }

  void oneShot(String op) {
    List<Place> places = lane.places(resource);
    java.util.Random rnd = new java.util.Random(op.hashCode() * 31L + resource.hashCode());
    Place any = places.get(rnd.nextInt(places.size()));
    switch (op) {
      case "monitor" -> engine.call(any, "monitor");
      case "migrate" -> {
        List<Place> on = new ArrayList<>();
        for (Place p : places) {
          Published s = view(p);
          if (s == null) {
            return; // not sure where it is: no migration
          }
          if (s.online()) {
            on.add(p);
          }
        }
        if (on.size() != 1 || !lane.migrates() || places.size() < 2) {
          return;
        }
        Place from = on.get(0);
        String to =
            places.stream()
                .map(Place::node)
                .filter(n -> !n.equals(from.node()))
                .findFirst()
                .orElseThrow();
        JsonNode r = engine.call(from, "migrate", "target", to);
        if (Engine.done(r)) {
          placement = to;
        }
      }
      case "clean-stopped" -> {
        Published s = view(any);
        if (s != null && s.offline() && !engine.observer.truth(any).runs()) {
          engine.call(any, "clean", "reason", 4);
        }
      }
      case "delete-add" -> {
        Injection excuse =
            new Injection(
                "delete-add",
                "delete and add " + any,
                Set.of(),
                Set.of(),
                Set.of(any.node()),
                Duration.ZERO,
                () -> {});
        engine.observer.excuse(excuse);
        engine.call(any, "delete");
        engine.subs.forget(any);
        List<String> peers = lane.nodeNames().stream().filter(n -> !n.equals(any.node())).toList();
        engine.call(
            any,
            "add",
            "type",
            "KVMGuest",
            "attributes",
            lane.attributesOn(any.node(), resource),
            "peers",
            peers);
        healQuietly(excuse);
      }
      case "disable-enable" -> {
        Injection excuse =
            new Injection(
                "enabled-0",
                "Enabled 0 then 1 on " + any,
                Set.of(),
                Set.of(),
                Set.of(any.node()),
                Duration.ZERO,
                () -> {});
        engine.observer.excuse(excuse);
        disabled.add(any.node());
        engine.call(any, "modify", "attributes", Map.of("Enabled", 0));
        lock.unlock();
        try {
          Thread.sleep(1000 + rnd.nextInt(3000)); // disabled for 1-4 s, the engine elsewhere
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          lock.lock();
        }
        engine.call(any, "modify", "attributes", Map.of("Enabled", 1));
        engine.call(any, "monitor");
        disabled.remove(any.node());
        healQuietly(excuse);
      }
      case "resubscribe" -> engine.subs.drop(any.node());
      default -> throw new IllegalArgumentException("no one-shot " + op);
    }
  }

  private static void healQuietly(Injection i) {
    try {
      i.heal();
    } catch (Exception e) {
      // its healer does nothing
    }
  }
}
