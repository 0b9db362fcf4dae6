package org.havirt.nemesis;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Checks {@code accepts}: every 2 s, a new connection to each agent that should be up must get its
 * {@code hello} answered within {@link Bounds#ACCEPT}. Contract: an agent a fault silenced (when
 * the probe began or when it ended), or one not meant to be up, is not probed or not blamed.
 *
 * <p>Thread-safe: one thread of its own probes; {@link #close} may come from any thread.
 */
final class AcceptProbe implements AutoCloseable {
  private final World world;
  private final Excuses excuses;
  private final BiConsumer<String, String> violate;
  private final Thread thread;
  private volatile boolean closed;

  /** {@code violate} receives an invariant's name and what broke it. */
  AcceptProbe(World world, Excuses excuses, BiConsumer<String, String> violate) {
    this.world = world;
    this.excuses = excuses;
    this.violate = violate;
    thread = new Thread(this::loop, "nemesis-accept-probe");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  private void loop() {
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
    if (!n.meantUp() || excuses.agentOut(n.name(), t0)) {
      return;
    }
    String failure = null;
    try (AgentLink link = new AgentLink(n.socket(), "probe-" + n.name(), e -> {}, () -> {})) {
      var r =
          link.call("hello", "versions", List.of(1))
              .get(Bounds.ACCEPT.toMillis(), TimeUnit.MILLISECONDS);
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
        && !excuses.agentOut(n.name(), t0)
        && !excuses.agentOut(n.name(), t1)) {
      violate.accept(
          "accepts", "agent " + n.name() + " did not serve a new connection: " + failure);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
