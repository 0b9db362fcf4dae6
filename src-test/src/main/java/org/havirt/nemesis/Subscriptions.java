package org.havirt.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * A subscription ({@code subscribe}) to every agent, kept up: when an agent is down the link is
 * retried every 200 ms. Keeps each place's last published state (the highest seq, as
 * docs/protocol.md says a client must). Used twice: by the observer and by the engine, each with
 * its own connections.
 *
 * <p>Thread-safe.
 */
public final class Subscriptions implements AutoCloseable {
  private final World world;
  private final String who;
  private final Map<Place, Published> published = new ConcurrentHashMap<>();
  private final Map<String, AgentLink> links = new ConcurrentHashMap<>();
  private final Map<String, Instant> liveSince = new ConcurrentHashMap<>();
  private final BiConsumer<Place, Published> onChange;
  private final Thread keeper;
  private volatile boolean closed;

  /**
   * @param onChange called on a link's reader thread for every event that changes a place
   */
  Subscriptions(World world, String who, BiConsumer<Place, Published> onChange) {
    this.world = world;
    this.who = who;
    this.onChange = onChange;
    keeper = new Thread(this::keep, "nemesis-subscriptions-" + who);
    keeper.setDaemon(true);
    keeper.start();
  }

  private void keep() {
    while (!closed) {
      for (Lane lane : world.lanes()) {
        for (AgentNode n : lane.nodes()) {
          AgentLink l = links.get(n.name());
          if (l == null || l.isClosed()) {
            connect(n);
          }
        }
      }
      try {
        Thread.sleep(200); // retry period of a lost subscription
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void connect(AgentNode n) {
    String node = n.name();
    try {
      AgentLink l =
          new AgentLink(
              n.socket(),
              who + "-" + node,
              e -> event(node, e),
              () -> {
                liveSince.remove(node);
                for (Place p : published.keySet()) {
                  if (p.node().equals(node)) {
                    published.remove(p);
                  }
                }
              });
      links.put(node, l);
      l.call("subscribe")
          .thenAccept(
              r -> {
                if (r.path("ok").asBoolean()) {
                  liveSince.put(node, Instant.now());
                }
              });
    } catch (java.io.IOException e) {
      // down: retried
    }
  }

  private void event(String node, JsonNode e) {
    if (!"state".equals(e.path("event").asText())) {
      return;
    }
    Place p = new Place(node, e.path("resource").asText());
    Published now =
        new Published(
            e.path("state").asText(),
            e.path("flag").isNull() ? null : e.path("flag").asText(),
            e.path("seq").asLong(),
            Instant.now());
    Published before = published.get(p);
    if (before != null && before.seq() > now.seq()) {
      return;
    }
    published.put(p, now);
    if (before == null
        || !before.state().equals(now.state())
        || !java.util.Objects.equals(before.flag(), now.flag())) {
      onChange.accept(p, now);
    }
  }

  /** What the agent last published of the place, or null (never, or not subscribed now). */
  public Published get(Place p) {
    return liveSince.containsKey(p.node()) ? published.get(p) : null;
  }

  /** Since when the subscription to the node is up, or null. */
  public Instant liveSince(String node) {
    return liveSince.get(node);
  }

  /** Forgets a place (its resource was deleted). */
  void forget(Place p) {
    published.remove(p);
  }

  /** Drops the link to a node (it is reconnected, and the snapshot comes again). */
  void drop(String node) {
    AgentLink l = links.get(node);
    if (l != null) {
      l.close();
    }
  }

  @Override
  public void close() {
    closed = true;
    keeper.interrupt();
    links.values().forEach(AgentLink::close);
  }
}
