package org.havirt.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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
 * <p>One driver thread per resource ({@link EngineDriver}), which holds the resource's {@link
 * #lock} while it decides and acts, so a fault that must not race the engine (a start by hand) can
 * take it. The goal and the one-shot operations come from the scheduler's thread. Thread-safe.
 */
public final class Engine implements AutoCloseable {
  static final Duration PERIOD = Duration.ofMillis(250);
  static final Duration AVOID = Duration.ofSeconds(10);

  final World world;
  final Observer observer;
  final Figures figures;
  final Subscriptions subs;
  private final Map<String, AgentLink> links = new ConcurrentHashMap<>();
  private final Map<String, EngineDriver> drivers = new ConcurrentHashMap<>();
  private final Map<String, Instant> unanswered = new ConcurrentHashMap<>();
  private volatile boolean closed;

  Engine(World world, Observer observer, Figures figures) {
    this.world = world;
    this.observer = observer;
    this.figures = figures;
    this.subs = new Subscriptions(world, "engine", (p, s) -> {});
    for (Lane l : world.lanes()) {
      for (String r : l.resources()) {
        drivers.put(r, new EngineDriver(this, l, r));
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
    EngineDriver d = drivers.get(resource);
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

  /** Whether the reply says the entry point ran to its end ("done"). */
  static boolean done(JsonNode r) {
    return r != null && r.path("ok").asBoolean() && "done".equals(r.path("exec").asText());
  }

  private static String errorCode(JsonNode r) {
    return r == null ? "" : r.path("error").path("code").asText("");
  }

  /** Whether {@link #close} was called: the drivers end. */
  boolean closed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    drivers.values().forEach(d -> d.thread.interrupt());
    subs.close();
    links.values().forEach(AgentLink::close);
  }
}
