package org.havirt.nemesis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What backends and faults see of the campaign: its directory, the event ring, the observer's
 * truth, the engine, and every lane. Thread-safe (the lists are copy-on-write; the parts are).
 */
public final class World {
  public final Path root;
  public final EventRing ring;
  public final long seed;
  final List<Lane> lanes = new CopyOnWriteArrayList<>();
  Observer observer;
  Engine engine;

  World(Path root, EventRing ring, long seed) {
    this.root = root;
    this.ring = ring;
    this.seed = seed;
  }

  public Observer observer() {
    return observer;
  }

  public Engine engine() {
    return engine;
  }

  public List<Lane> lanes() {
    return new ArrayList<>(lanes);
  }

  /** The node of that name, in any lane. */
  public AgentNode node(String name) {
    for (Lane l : lanes) {
      for (AgentNode n : l.nodes()) {
        if (n.name().equals(name)) {
          return n;
        }
      }
    }
    throw new IllegalArgumentException("no node " + name);
  }

  /** The lane a node belongs to. */
  public Lane laneOf(String node) {
    for (Lane l : lanes) {
      if (l.nodeNames().contains(node)) {
        return l;
      }
    }
    throw new IllegalArgumentException("no node " + node);
  }
}
