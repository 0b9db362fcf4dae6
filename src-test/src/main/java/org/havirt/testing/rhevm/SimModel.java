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
    public int spmPriority = 5;

    private final List<Object[]> pending = new ArrayList<>(); // {atMillis, status}

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

    /** Disks: name → status (ok, locked, illegal). A new VM has one bootable disk that is ok. */
    public final Map<String, String> disks = new LinkedHashMap<>();

    /** CD-ROM payload files set by PUT /vms/{id}: file name → content. Empty when none. */
    public Map<String, String> payload = new LinkedHashMap<>();

    /**
     * The host this VM still runs on behind the engine's back (a partitioned host), or null. Set by
     * {@link SimModel#partitionHost}; cleared when the host heals or is power-fenced.
     */
    String stillRunsOn;

    private final List<Object[]> pending = new ArrayList<>(); // {atMillis, status, hostId}

    Vm(String name, String clusterId) {
      this.name = name;
      this.clusterId = clusterId;
      disks.put(name + "_disk0", "ok");
    }
  }

  /**
   * One VM as an observer sees it, straight from the model (never through a client): the engine's
   * status, the name of the host it names (empty when none), {@link #copies}, and the host it still
   * runs on behind a partition (empty when none).
   */
  public record VmTruth(String name, String status, String host, int copies, String partitionedOn) {
    /** A VM on no partitioned host. */
    public VmTruth(String name, String status, String host, int copies) {
      this(name, status, host, copies, "");
    }
  }

  /**
   * One action an API client took, as the engine received it: who (the API user), on which VM
   * (empty for a host action), what ({@code start}, {@code shutdown}, {@code stop}, {@code
   * migrate}, {@code fence_manual}), the VM's status and host at that moment, the host asked for
   * (start, migrate, fence), and the engine's refusal if any. An observer's record: a stop of a VM
   * that ran on another node's host, or that nobody asked to stop, shows here whatever the agent
   * believed.
   */
  public record Action(
      long seq,
      long atMillis,
      String user,
      String vm,
      String action,
      String vmStatus,
      String vmHost,
      String target,
      Optional<String> refused) {}

  final List<Action> actions = new ArrayList<>();

  synchronized void audit(
      String user,
      String vm,
      String action,
      String status,
      String host,
      String target,
      Optional<String> refused) {
    actions.add(
        new Action(
            actions.size() + 1,
            System.currentTimeMillis(),
            user,
            vm,
            action,
            status,
            host,
            target,
            refused));
  }

  /** Every audited action with a sequence number above {@code after}, oldest first. */
  public synchronized List<Action> actions(long after) {
    return actions.stream().filter(a -> a.seq() > after).toList();
  }

  /** One host as an observer sees it. */
  public record HostTruth(String name, String status) {}

  /** Every VM's truth now, in the order VMs were added. */
  public synchronized List<VmTruth> vmTruth() {
    advance();
    List<VmTruth> out = new ArrayList<>();
    for (Vm v : vms.values()) {
      Host h = v.hostId == null ? null : hosts.get(v.hostId);
      Host p = v.stillRunsOn == null ? null : hosts.get(v.stillRunsOn);
      out.add(
          new VmTruth(
              v.name, v.status, h == null ? "" : h.name, copies(v), p == null ? "" : p.name));
    }
    return out;
  }

  /** Every host's truth now. */
  public synchronized List<HostTruth> hostTruth() {
    advance();
    return hosts.values().stream().map(h -> new HostTruth(h.name, h.status)).toList();
  }

  /** One entry of the events feed. */
  public record Event(long id, String description, String vmId) {}

  final Map<String, String> clusters = new LinkedHashMap<>(); // id -> name
  final Map<String, String> clusterDatacenter = new LinkedHashMap<>(); // cluster id -> dc name
  private long spmElectionAt = -1; // when the datacenter elects a new SPM, or -1
  final Map<String, Host> hosts = new LinkedHashMap<>();
  final Map<String, Vm> vms = new LinkedHashMap<>();
  final List<Event> events = new ArrayList<>();

  /** Milliseconds each timed step takes (wait_for_launch → powering_up → up, and down). */
  public volatile long stepMillis = 200;

  public synchronized String addCluster(String name) {
    return addCluster(name, "Default");
  }

  /** Adds a cluster to a datacenter; every datacenter has one SPM among its up hosts. */
  public synchronized String addCluster(String name, String datacenter) {
    String id = UUID.randomUUID().toString();
    clusters.put(id, name);
    clusterDatacenter.put(id, datacenter);
    return id;
  }

  public synchronized String clusterName(String id) {
    return clusters.get(id);
  }

  /** The host that holds (or is stuck holding) the SPM role in {@code datacenter}, if any. */
  public synchronized Optional<Host> spm(String datacenter) {
    advance();
    return hosts.values().stream()
        .filter(h -> h.spm.equals("spm") && clusterDatacenter.get(h.clusterId).equals(datacenter))
        .findFirst();
  }

  public synchronized Host addHost(String name, String clusterName) {
    Host h = new Host(name, clusterId(clusterName));
    hosts.put(h.id, h);
    if (spm(clusterDatacenter.get(h.clusterId)).isEmpty()) {
      h.spm = "spm"; // the first host of a datacenter becomes its SPM
    }
    return h;
  }

  /**
   * Removes a host from RHEV-M, as an administrator does before re-adding it (it then comes back
   * under a new id). VMs that still name it keep the dangling id, as a test may want.
   */
  public synchronized void removeHost(Host h) {
    hosts.remove(h.id);
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
    for (Host h : hosts.values()) {
      while (!h.pending.isEmpty() && (long) h.pending.get(0)[0] <= now) {
        h.status = (String) h.pending.remove(0)[1];
        if (!h.status.equals("up") && h.spm.equals("spm")) {
          releaseSpm(h, now);
        }
      }
    }
    if (spmElectionAt >= 0 && spmElectionAt <= now) {
      spmElectionAt = -1;
      electSpm();
    }
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
    if (!host.clusterId.equals(v.clusterId)) {
      return Optional.of(
          "Cannot run VM. There is no host that satisfies current scheduling constraints: host "
              + host.name
              + " is not in the VM's cluster.");
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

  /**
   * Crashes a host: it stops answering, its VMs become unknown (as the engine reports them). An SPM
   * host keeps the role (its storage lease cannot be taken over) until its fence is confirmed.
   */
  public synchronized void crashHost(Host h) {
    advance();
    h.pending.clear();
    h.status = "non_responsive";
    for (Vm v : vms.values()) {
      if (h.id.equals(v.hostId)) {
        v.pending.clear();
        set(v, "unknown", v.hostId);
      }
    }
  }

  /**
   * A VM dies by itself (qemu crashed): the engine has it down, unless its host does not answer
   * (then it stays unknown to the engine, and is simply gone).
   */
  public synchronized void crashVm(Vm v) {
    advance();
    v.stillRunsOn = null;
    Host h = v.hostId == null ? null : hosts.get(v.hostId);
    if (h != null && h.status.equals("non_responsive")) {
      return;
    }
    if (!v.status.equals("down")) {
      v.pending.clear();
      set(v, "down", null);
    }
  }

  /**
   * Cuts a host off from the engine without stopping it (a network partition, a hung VDSM): the
   * engine sees what {@link #crashHost} shows (non_responsive, its VMs unknown), but the VMs go on
   * running there. A manual fence confirmed meanwhile is then a lie: the engine marks them down
   * while they still run, and {@link #copies} counts them until the host heals.
   */
  public synchronized void partitionHost(Host h) {
    crashHost(h);
    for (Vm v : vms.values()) {
      if (h.id.equals(v.hostId)) {
        v.stillRunsOn = h.id;
      }
    }
  }

  /**
   * Ends a partition ({@link #partitionHost}) or a crash: the host answers again and is up. VMs the
   * engine had as unknown there come back as they are on the host: up after a partition, down after
   * a crash. A VM that still ran there behind a confirmed fence is powered off by the engine on
   * reconnection (its copy was counted by {@link #copies} until now).
   */
  public synchronized void healHost(Host h) {
    advance();
    h.pending.clear();
    h.status = "up";
    for (Vm v : vms.values()) {
      boolean ranHere = h.id.equals(v.stillRunsOn);
      if (ranHere) {
        v.stillRunsOn = null;
      }
      if (h.id.equals(v.hostId) && v.status.equals("unknown")) {
        v.pending.clear();
        if (ranHere) {
          set(v, "up", h.id);
        } else {
          set(v, "down", null);
        }
      }
    }
    if (spmElectionAt < 0 && spm(clusterDatacenter.get(h.clusterId)).isEmpty()) {
      spmElectionAt = System.currentTimeMillis() + 2 * stepMillis;
    }
  }

  /**
   * A host crash that the engine's power management fences at once (the host has PM configured):
   * the host reboots, its VMs are down at once (so the engine may start them elsewhere), and the
   * host is up again after three steps.
   */
  public synchronized void powerFenceHost(Host h) {
    advance();
    for (Vm v : vms.values()) {
      if (h.id.equals(v.hostId)) {
        v.pending.clear();
        v.stillRunsOn = null;
        set(v, "down", null);
      }
    }
    h.pending.clear();
    h.status = "reboot";
    if (h.spm.equals("spm")) {
      releaseSpm(h, System.currentTimeMillis());
    }
    long now = System.currentTimeMillis();
    h.pending.add(new Object[] {now + 2 * stepMillis, "initializing"});
    h.pending.add(new Object[] {now + 3 * stepMillis, "up"});
  }

  /**
   * How many copies of {@code v} run: one when the engine has it in a running state (anything but
   * down, unknown on a crashed host, or suspended), plus one when it still runs on a partitioned
   * host behind a manual fence the engine believed. An observer's truth: more than one is a VM
   * started twice.
   */
  public synchronized int copies(Vm v) {
    advance();
    boolean engine =
        switch (v.status) {
          case "down", "suspended", "image_locked" -> false;
          case "unknown" -> v.stillRunsOn != null && v.stillRunsOn.equals(v.hostId);
          default -> true;
        };
    boolean ghost = v.stillRunsOn != null && !v.stillRunsOn.equals(v.hostId);
    return (engine ? 1 : 0) + (ghost ? 1 : 0);
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
    if (h.spm.equals("spm")) {
      releaseSpm(h, System.currentTimeMillis());
    }
    return Optional.empty();
  }

  /** Maintenance: up → preparing_for_maintenance → maintenance; the SPM role moves away. */
  public synchronized Optional<String> deactivate(Host h) {
    advance();
    switch (h.status) {
      case "maintenance", "preparing_for_maintenance" -> {
        return Optional.empty();
      }
      case "up", "non_operational" -> {
        boolean running = vms.values().stream().anyMatch(v -> h.id.equals(v.hostId));
        if (running) {
          return Optional.of(
              "Cannot switch Host " + h.name + " to Maintenance mode. Host has running VMs.");
        }
        planHost(h, "preparing_for_maintenance", "maintenance");
        return Optional.empty();
      }
      default -> {
        return Optional.of(
            "Cannot switch Host " + h.name + " to Maintenance mode. Host is " + h.status + ".");
      }
    }
  }

  /** Activation: maintenance (or down after a fence) → initializing → up. */
  public synchronized Optional<String> activate(Host h) {
    advance();
    switch (h.status) {
      case "up", "initializing" -> {
        return Optional.empty();
      }
      case "maintenance", "down" -> {
        planHost(h, "initializing", "up");
        if (spmElectionAt < 0 && spm(clusterDatacenter.get(h.clusterId)).isEmpty()) {
          spmElectionAt = System.currentTimeMillis() + 2 * stepMillis;
        }
        return Optional.empty();
      }
      default -> {
        return Optional.of("Cannot activate Host " + h.name + ". Host is " + h.status + ".");
      }
    }
  }

  private void planHost(Host h, String... statuses) {
    h.pending.clear();
    long at = System.currentTimeMillis();
    for (String s : statuses) {
      h.pending.add(new Object[] {at, s});
      at += stepMillis;
    }
    advance();
  }

  private void releaseSpm(Host h, long now) {
    h.spm = "none";
    spmElectionAt = now + 2 * stepMillis; // the engine elects a new SPM after a while
  }

  /** Gives the SPM role of each datacenter that has none to its up host of highest priority. */
  private void electSpm() {
    for (String dc : new java.util.HashSet<>(clusterDatacenter.values())) {
      boolean has =
          hosts.values().stream()
              .anyMatch(h -> h.spm.equals("spm") && clusterDatacenter.get(h.clusterId).equals(dc));
      if (!has) {
        hosts.values().stream()
            .filter(h -> h.status.equals("up") && clusterDatacenter.get(h.clusterId).equals(dc))
            .max(java.util.Comparator.comparingInt(h -> h.spmPriority))
            .ifPresent(h -> h.spm = "spm");
      }
    }
  }

  /**
   * PUT /vms/{id}: a new cluster (only while down, inside the VM's datacenter) and CD-ROM payload
   * files (replacing any before). Returns a fault text when the engine would refuse.
   */
  public synchronized Optional<String> update(
      Vm v, Optional<String> clusterId, Optional<Map<String, String>> payload) {
    advance();
    if (clusterId.isPresent() && !clusterId.get().equals(v.clusterId)) {
      if (!clusters.containsKey(clusterId.get())) {
        return Optional.of("Cannot edit VM. Cluster " + clusterId.get() + " does not exist.");
      }
      if (!v.status.equals("down")) {
        return Optional.of("Cannot edit VM. Cannot change cluster of a VM that is not down.");
      }
      if (!clusterDatacenter.get(clusterId.get()).equals(clusterDatacenter.get(v.clusterId))) {
        return Optional.of("Cannot edit VM. The target cluster is in another data center.");
      }
      v.clusterId = clusterId.get();
      events.add(
          new Event(
              events.size() + 1,
              "VM " + v.name + " moved to cluster " + clusters.get(v.clusterId),
              v.id));
    }
    payload.ifPresent(p -> v.payload = new LinkedHashMap<>(p));
    return Optional.empty();
  }

  /**
   * The events feed as an engine serves it: without {@code from}, the newest first; with it, the
   * events after {@code from} (the engine's own query; its documentation says "equal or greater",
   * so clients must skip what they have seen either way), oldest first. {@code max} keeps the first
   * that many of either.
   */
  public synchronized List<Event> events(Optional<Long> from, Optional<Integer> max) {
    advance();
    List<Event> newestFirst = new ArrayList<>(events);
    java.util.Collections.reverse(newestFirst);
    java.util.stream.Stream<Event> s =
        from.isPresent() ? events.stream().filter(e -> e.id() > from.get()) : newestFirst.stream();
    return s.limit(max.orElse(Integer.MAX_VALUE)).toList();
  }

  /** Adds {@code n} events about no VM (logins, storage, ...), as a long-lived engine has. */
  public synchronized void addEvents(int n, String description) {
    for (int i = 0; i < n; i++) {
      events.add(new Event(events.size() + 1, description, null));
    }
  }
}
