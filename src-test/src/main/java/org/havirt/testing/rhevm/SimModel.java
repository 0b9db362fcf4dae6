package org.havirt.testing.rhevm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The simulated RHEV-M's world: clusters, hosts and VMs, with timed VM transitions as a real engine
 * shows them (down → wait_for_launch → powering_up → up; up → powering_down → down). Transitions
 * are applied lazily when the model is read, against the wall clock. Thread-safe (every method
 * synchronizes on the model).
 */
public final class SimModel {
  /** A host: name, cluster, status (up, non_responsive, maintenance, …), SPM status. */
  public static final class Host {
    public final String id = UUID.randomUUID().toString();
    public final String name;
    public String clusterId;
    public String status = "up";
    public String spm = "none";

    Host(String name, String clusterId) {
      this.name = name;
      this.clusterId = clusterId;
    }
  }

  /** A VM with its pending timed transitions. */
  public static final class Vm {
    public final String id = UUID.randomUUID().toString();
    public final String name;
    public String clusterId;
    public String status = "down";
    public String hostId;
    public boolean haEnabled;
    public String affinity = "migratable";
    public String payload;
    private final List<Object[]> pending = new ArrayList<>(); // {atMillis, status, hostId}

    Vm(String name, String clusterId) {
      this.name = name;
      this.clusterId = clusterId;
    }
  }

  /** One entry of the events feed. */
  public record Event(long id, String description, String vmId) {}

  final Map<String, String> clusters = new LinkedHashMap<>(); // id -> name
  final Map<String, Host> hosts = new LinkedHashMap<>();
  final Map<String, Vm> vms = new LinkedHashMap<>();
  final List<Event> events = new ArrayList<>();

  /** Milliseconds each timed step takes (wait_for_launch → powering_up → up, and down). */
  public volatile long stepMillis = 200;

  public synchronized String addCluster(String name) {
    String id = UUID.randomUUID().toString();
    clusters.put(id, name);
    return id;
  }

  public synchronized Host addHost(String name, String clusterName) {
    Host h = new Host(name, clusterId(clusterName));
    hosts.put(h.id, h);
    return h;
  }

  public synchronized Vm addVm(String name, String clusterName) {
    Vm v = new Vm(name, clusterId(clusterName));
    vms.put(v.id, v);
    return v;
  }

  synchronized String clusterId(String name) {
    return clusters.entrySet().stream()
        .filter(e -> e.getValue().equals(name))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no cluster " + name));
  }

  public synchronized Optional<Vm> vmByName(String name) {
    advance();
    return vms.values().stream().filter(v -> v.name.equals(name)).findFirst();
  }

  public synchronized Optional<Host> hostByName(String name) {
    return hosts.values().stream().filter(h -> h.name.equals(name)).findFirst();
  }

  /** Applies every transition that is due. */
  synchronized void advance() {
    long now = System.currentTimeMillis();
    for (Vm v : vms.values()) {
      while (!v.pending.isEmpty() && (long) v.pending.get(0)[0] <= now) {
        Object[] t = v.pending.remove(0);
        set(v, (String) t[1], (String) t[2]);
      }
    }
  }

  private void set(Vm v, String status, String hostId) {
    v.status = status;
    v.hostId = hostId;
    events.add(new Event(events.size() + 1, "VM " + v.name + " is " + status, v.id));
  }

  private void plan(Vm v, String... statusThenHost) {
    v.pending.clear();
    long at = System.currentTimeMillis();
    for (int i = 0; i < statusThenHost.length; i += 2) {
      v.pending.add(new Object[] {at, statusThenHost[i], statusThenHost[i + 1]});
      at += stepMillis;
    }
    advance();
  }

  /** Starts {@code v} on {@code host}; returns a fault text when the engine would refuse. */
  public synchronized Optional<String> start(Vm v, Host host) {
    advance();
    if (!v.status.equals("down")) {
      return Optional.of("Cannot run VM. VM " + v.name + " is " + v.status + ".");
    }
    if (!host.status.equals("up")) {
      return Optional.of("Cannot run VM. Host " + host.name + " is " + host.status + ".");
    }
    plan(v, "wait_for_launch", host.id, "powering_up", host.id, "up", host.id);
    return Optional.empty();
  }

  public synchronized Optional<String> shutdown(Vm v) {
    advance();
    if (v.status.equals("down")) {
      return Optional.of("Cannot shutdown VM. VM " + v.name + " is down.");
    }
    String host = v.hostId;
    plan(v, "powering_down", host, "down", null);
    return Optional.empty();
  }

  public synchronized Optional<String> stop(Vm v) {
    advance();
    if (v.status.equals("down")) {
      return Optional.of("Cannot stop VM. VM " + v.name + " is down.");
    }
    v.pending.clear();
    set(v, "down", null);
    return Optional.empty();
  }

  /** Live-migrates {@code v} to {@code target} as the engine would, refusing what it refuses. */
  public synchronized Optional<String> migrate(Vm v, Host target) {
    advance();
    if (!v.status.equals("up")) {
      return Optional.of("Cannot migrate VM. VM " + v.name + " is " + v.status + ".");
    }
    if (!v.affinity.equals("migratable")) {
      return Optional.of("Cannot migrate VM. VM " + v.name + " is not migratable.");
    }
    if (!target.clusterId.equals(v.clusterId)) {
      return Optional.of("Cannot migrate VM. Migration between clusters is not supported.");
    }
    plan(v, "migrating", v.hostId, "up", target.id);
    return Optional.empty();
  }

  /** Crashes a host: it stops answering, its VMs become unknown (as the engine reports them). */
  public synchronized void crashHost(Host h) {
    advance();
    h.status = "non_responsive";
    for (Vm v : vms.values()) {
      if (h.id.equals(v.hostId)) {
        v.pending.clear();
        set(v, "unknown", v.hostId);
      }
    }
  }

  /**
   * An administrator's "confirm host has been rebooted" (fence_type=manual): refused for a host
   * that answers; for a dead one, its VMs are released (down) so they may start elsewhere.
   */
  public synchronized Optional<String> confirmManualFence(Host h) {
    advance();
    if (!h.status.equals("non_responsive")) {
      return Optional.of("Cannot confirm manual fence: host " + h.name + " is " + h.status + ".");
    }
    h.status = "down";
    for (Vm v : vms.values()) {
      if (h.id.equals(v.hostId)) {
        v.pending.clear();
        set(v, "down", null);
      }
    }
    return Optional.empty();
  }

  public synchronized List<Event> eventsFrom(long from) {
    advance();
    return events.stream().filter(e -> e.id() > from).toList();
  }
}
