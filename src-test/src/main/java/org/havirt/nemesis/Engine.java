package org.havirt.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A cluster engine on the agents' sockets, following the rules an engine must: it starts a guest on
 * a node only after it believes every other node has it stopped (each publishes OFFLINE or
 * INTENTIONAL OFFLINE; UNKNOWN means wait), it fails over on FAULTED, it retries what failed, and
 * it never acts on a resource it sees UNKNOWN. It learns states from a subscription of its own.
 *
 * <p>One driver thread per resource, which holds the resource's {@link #lock} while it decides and
 * acts, so a fault that must not race the engine (a start by hand) can take it. The goal and the
 * one-shot operations come from the scheduler's thread. Thread-safe.
 */
public final class Engine implements AutoCloseable {
  private static final Duration PERIOD = Duration.ofMillis(250);
  private static final Duration AVOID = Duration.ofSeconds(10);

  private final World world;
  private final Observer observer;
  private final Figures figures;
  private final Subscriptions subs;
  private final Map<String, AgentLink> links = new ConcurrentHashMap<>();
  private final Map<String, Driver> drivers = new ConcurrentHashMap<>();
  private final Map<String, Instant> unanswered = new ConcurrentHashMap<>();
  private volatile boolean closed;

  Engine(World world, Observer observer, Figures figures) {
    this.world = world;
    this.observer = observer;
    this.figures = figures;
    this.subs = new Subscriptions(world, "engine", (p, s) -> {});
    for (Lane l : world.lanes()) {
      for (String r : l.resources()) {
        drivers.put(r, new Driver(l, r));
      }
    }
  }

  void start() {
    drivers.values().forEach(d -> d.thread.start());
  }

  /** The lock a fault takes so as not to race the engine on a resource. */
  public ReentrantLock lock(String resource) {
    return drivers.get(resource).lock;
  }

  /** Sets whether the engine wants the resource running (somewhere) or stopped. */
  public void want(String resource, boolean online) {
    Driver d = drivers.get(resource);
    if (d.online != online) {
      world.ring.add("engine", "goal " + resource + " " + (online ? "online" : "offline"));
    }
    d.online = online;
  }

  /** Asks for a one-shot operation, run by the resource's driver when it may. */
  public void oneShot(String resource, String op) {
    drivers.get(resource).oneShots.add(op);
  }

  /** Drops the engine's request connection to a node (a fault: replies in flight are lost). */
  public void dropConnection(String node) {
    AgentLink l = links.remove(node);
    if (l != null) {
      l.close();
    }
  }

  /** Whether every resource of the lane is as the engine wants it, per the truth. */
  public boolean goalMet(Lane l) {
    for (String r : l.resources()) {
      int running = observer.runningPlaces(l, r).size();
      if (running != (drivers.get(r).online ? 1 : 0)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether no request of the resource was left without an answer in the last two minutes (its
   * outcome unknown: the agent may still be carrying it out). Call with {@link #lock} held.
   */
  public boolean quiet(String resource) {
    Instant u = unanswered.get(resource);
    return u == null || u.isBefore(Instant.now().minusSeconds(120));
  }

  /** Engine operations sent so far. */
  public int operations() {
    return figures.engineOps.get();
  }

  private AgentLink link(String node) throws java.io.IOException {
    AgentLink l = links.get(node);
    if (l == null || l.isClosed()) {
      l = new AgentLink(world.node(node).socket(), "engine-" + node, e -> {}, () -> {});
      links.put(node, l);
    }
    return l;
  }

  /** Sends a request and waits for its reply until its deadline; null if none came. */
  JsonNode call(Place p, String op, Object... fields) {
    String target = null;
    for (int i = 0; i < fields.length; i += 2) {
      if ("target".equals(fields[i])) {
        target = (String) fields[i + 1];
      }
    }
    EngineOp rec = new EngineOp(op, p, target);
    observer.sent(rec);
    figures.engineOps.incrementAndGet();
    Object[] all = new Object[fields.length + 2];
    all[0] = "resource";
    all[1] = p.resource();
    System.arraycopy(fields, 0, all, 2, fields.length);
    world.ring.add("engine", "send " + rec);
    Duration deadline = Bounds.deadline(op);
    try {
      JsonNode r = link(p.node()).call(op, all).get(deadline.toMillis(), TimeUnit.MILLISECONDS);
      world.ring.add("engine", "reply " + rec + ": " + brief(r));
      if ("internal".equals(errorCode(r))) {
        observer.violate("no-internal-error", "engine request " + rec + ": " + brief(r));
      }
      return r;
    } catch (TimeoutException e) {
      unanswered.put(p.resource(), Instant.now());
      observer.overdue(rec, deadline);
      dropConnection(p.node());
      return null;
    } catch (ExecutionException | java.io.IOException e) {
      unanswered.put(p.resource(), Instant.now());
      world.ring.add("engine", "no reply " + rec + ": " + e.getMessage());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      rec.ended();
    }
  }

  private static String brief(JsonNode r) {
    if (!r.path("ok").asBoolean()) {
      return "error "
          + r.path("error").path("code").asText()
          + " "
          + r.path("error").path("message").asText();
    }
    return r.path("exec").asText("ok")
        + " "
        + r.path("status").path("state").asText("")
        + " "
        + r.path("reason").asText("");
  }

  private static boolean done(JsonNode r) {
    return r != null && r.path("ok").asBoolean() && "done".equals(r.path("exec").asText());
  }

  private static String errorCode(JsonNode r) {
    return r == null ? "" : r.path("error").path("code").asText("");
  }

  /** One resource's driver. */
  private final class Driver {
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

    Driver(Lane lane, String resource) {
      this.lane = lane;
      this.resource = resource;
      this.placement = lane.nodes().get(0).name();
      thread = new Thread(this::run, "nemesis-engine-" + resource);
      thread.setDaemon(true);
    }

    void run() {
      while (!closed) {
        lock.lock();
        try {
          step();
        } catch (RuntimeException e) {
          world.ring.add("engine", resource + ": driver step failed: " + e);
        } finally {
          lock.unlock();
        }
        try {
          Thread.sleep(PERIOD.toMillis()); // the engine's decision period
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
      Published s = subs.get(p);
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
            call(p, "clean", "reason", 1);
          }
          call(p, "clear");
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
        JsonNode r = call(target, "online");
        if (done(r) && r.path("status").path("state").asText().equals("ONLINE")) {
          placement = target.node();
        } else if (r != null) {
          avoid.put(target.node(), Instant.now().plus(AVOID));
        }
      } else {
        for (Place p : on) {
          stop(p);
          return;
        }
      }
    }

    void failover(Place from) {
      figures.failovers.incrementAndGet();
      boolean ranThere = observer.truth(from).runs();
      if (ranThere) {
        figures.falseFailovers.incrementAndGet();
      }
      world.ring.add(
          "engine",
          "failover of "
              + resource
              + " away from "
              + from.node()
              + (ranThere ? " (FALSE: the guest runs there)" : ""));
      avoid.put(from.node(), Instant.now().plus(AVOID));
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
      JsonNode r = call(p, "offline");
      if (r != null && !done(r) && view(p) != null) {
        call(p, "clean", "reason", 1);
      }
    }

    void oneShot(String op) {
      List<Place> places = lane.places(resource);
      java.util.Random rnd = new java.util.Random(op.hashCode() * 31L + resource.hashCode());
      Place any = places.get(rnd.nextInt(places.size()));
      switch (op) {
        case "monitor" -> call(any, "monitor");
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
          JsonNode r = call(from, "migrate", "target", to);
          if (done(r)) {
            placement = to;
          }
        }
        case "clean-stopped" -> {
          Published s = view(any);
          if (s != null && s.offline() && !observer.truth(any).runs()) {
            call(any, "clean", "reason", 4);
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
          observer.excuse(excuse);
          call(any, "delete");
          subs.forget(any);
          List<String> peers =
              lane.nodeNames().stream().filter(n -> !n.equals(any.node())).toList();
          call(
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
          observer.excuse(excuse);
          disabled.add(any.node());
          call(any, "modify", "attributes", Map.of("Enabled", 0));
          lock.unlock();
          try {
            Thread.sleep(1000 + rnd.nextInt(3000)); // disabled for 1-4 s, the engine elsewhere
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            lock.lock();
          }
          call(any, "modify", "attributes", Map.of("Enabled", 1));
          call(any, "monitor");
          disabled.remove(any.node());
          healQuietly(excuse);
        }
        case "resubscribe" -> subs.drop(any.node());
        default -> throw new IllegalArgumentException("no one-shot " + op);
      }
    }
  }

  private static void healQuietly(Injection i) {
    try {
      i.heal();
    } catch (Exception e) {
      // its healer does nothing
    }
  }

  @Override
  public void close() {
    closed = true;
    drivers.values().forEach(d -> d.thread.interrupt());
    subs.close();
    links.values().forEach(AgentLink::close);
  }
}
