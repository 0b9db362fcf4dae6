package org.havirt.nemesis;

import java.util.List;
import java.util.Map;

/**
 * Nodes that may each run the same guests: every resource of the lane exists on every node, and the
 * engine runs each where it chooses, one copy at a time. Immutable.
 *
 * @param name e.g. {@code tdrv}, {@code qemu}
 * @param nodes the agents, one per node
 * @param resources the resources (each named as its guest)
 * @param migrates whether the engine may live-migrate between the nodes
 * @param attributes per resource, what the engine's {@code add} sends (after a {@code delete})
 * @param perNode per node and resource, attributes that replace those of {@code attributes} in what
 *     {@code add} sends that node (the RHEV lane: each node's own RHEV-M user)
 */
public record Lane(
    String name,
    List<AgentNode> nodes,
    List<String> resources,
    boolean migrates,
    Map<String, Map<String, Object>> attributes,
    Map<String, Map<String, Map<String, Object>>> perNode) {

  /** A lane whose nodes all get the same attributes. */
  public Lane(
      String name,
      List<AgentNode> nodes,
      List<String> resources,
      boolean migrates,
      Map<String, Map<String, Object>> attributes) {
    this(name, nodes, resources, migrates, attributes, Map.of());
  }

  /** What the engine's {@code add} of {@code resource} sends {@code node}. */
  public Map<String, Object> attributesOn(String node, String resource) {
    Map<String, Object> a = new java.util.LinkedHashMap<>(attributes.get(resource));
    a.putAll(perNode.getOrDefault(node, Map.of()).getOrDefault(resource, Map.of()));
    return a;
  }

  /** The places of one resource, one per node. */
  public List<Place> places(String resource) {
    return nodes.stream().map(n -> new Place(n.name(), resource)).toList();
  }

  /** The node names. */
  public List<String> nodeNames() {
    return nodes.stream().map(AgentNode::name).toList();
  }
}
