package org.havirt.nemesis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.havirt.testing.rhevm.RhevObserver;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;

/**
 * The RHEV part of a campaign: one RHEV-M simulator in the campaign's JVM (one RHEV-M serves the
 * cluster), a lane {@code rhev} of {@code nodes} nodes, each a real agent on RHEV host {@code rhN}
 * (its PhysicalServer) with an API user of its own ({@code nodeN@internal}, in that node's own
 * main.cf and in what the engine's {@code add} sends it), and two VMs. The truth is the simulator's
 * model ({@link RhevTruth}); the faults are {@link RhevFaults}; the extra invariants are those only
 * RHEV-M can witness ({@link RhevObserver}: one copy, and no stop, shutdown or migration sent by a
 * node for a VM RHEV-M had on another host). Not thread-safe: the campaign's thread sets it up and
 * closes it.
 */
final class RhevLane implements Backend {
  static final List<String> VMS = List.of("ra", "rb");

  private final int nodes;
  private final List<Lane> lanes = new ArrayList<>();
  private final List<TruthSource> truth = new ArrayList<>();
  private final List<ExtraInvariant> invariants = new ArrayList<>();
  private final List<AgentNode> agents = new ArrayList<>();
  final Map<String, String> hostByNode = new LinkedHashMap<>();
  RhevmSimulator sim;

  RhevLane(int nodes) {
    this.nodes = nodes;
  }

  @Override
  public String name() {
    return "rhev";
  }

  @Override
  public void setUp(World world) throws Exception {
    Path root = world.root.resolve("rhev");
    sim = new RhevmSimulator(root.resolve("sim"), 0, "admin@internal", "unused-admin-pw");
    sim.model.stepMillis = 200;
    sim.model.addCluster("prod");
    Path key = root.resolve("havirt.key");
    PasswordCipher cipher = PasswordCipher.openOrCreate(key);
    Map<String, String> nodeByUser = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      String n = "r" + i;
      names.add(n);
      hostByNode.put(n, "rh" + i);
      sim.model.addHost("rh" + i, "prod");
      sim.addUser(user(n), "pw-" + n);
      nodeByUser.put(user(n), n);
    }
    VMS.forEach(v -> sim.model.addVm(v, "prod"));
    Map<String, Map<String, Object>> attrs = new LinkedHashMap<>();
    Map<String, Map<String, Map<String, Object>>> perNode = new LinkedHashMap<>();
    for (String vm : VMS) {
      attrs.put(vm, attributes(vm, rhevmInfo(cipher, names.get(0))));
    }
    for (String n : names) {
      Map<String, Map<String, Object>> mine = new LinkedHashMap<>();
      for (String vm : VMS) {
        mine.put(vm, Map.of("RHEVMInfo", rhevmInfo(cipher, n)));
      }
      perNode.put(n, mine);
    }
    List<AgentNode> laneAgents = new ArrayList<>();
    for (String n : names) {
      Path cf = root.resolve(n + "-main.cf");
      Files.writeString(cf, mainCf(names, n, cipher));
      AgentNode a =
          new AgentNode(
              n,
              root.resolve("agents/" + n),
              List.of("-c", cf.toString(), "--key-file", key.toString()),
              Map.of(),
              world.ring);
      agents.add(a);
      laneAgents.add(a);
    }
    for (AgentNode a : laneAgents) {
      a.start();
    }
    lanes.add(new Lane("rhev", laneAgents, VMS, nodes > 1, attrs, perNode));
    truth.add(new RhevTruth(sim.model, hostByNode, VMS));
    RhevObserver observer =
        new RhevObserver(
            sim.model,
            nodeByUser,
            hostByNode,
            // The campaign's observer judges whether a command or fault asked for what changed
            // (from the truth); here only the host of each stop is checked.
            (node, vm, action, at) -> true);
    invariants.add(new RhevInvariant(observer));
  }

  static String user(String node) {
    return node + "@internal";
  }

  private Map<String, Object> rhevmInfo(PasswordCipher cipher, String node) {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("Enabled", 1);
    info.put("URL", sim.url());
    info.put("User", user(node));
    info.put("Password", cipher.encryptFor("pw-" + node, sim.url(), user(node)));
    info.put("Cluster", "prod");
    info.put("CAFile", sim.caPem().toString());
    return info;
  }

  /**
   * The resource's attributes; timeouts as the KVM lanes have them (docs/reliability.md), so the
   * campaign's bounds ({@link Bounds}) hold for both.
   */
  private static Map<String, Object> attributes(String vm, Map<String, Object> info) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("GuestName", vm);
    a.put("RHEVMInfo", info);
    a.put("DelayAfterGuestOnline", 0);
    a.put("DelayAfterGuestOffline", 3);
    a.put("MonitorInterval", 5);
    a.put("OfflineMonitorInterval", 5);
    a.put("OnlineTimeout", 30);
    a.put("OfflineTimeout", 30);
    a.put("CleanTimeout", 30);
    a.put("MonitorTimeout", 10);
    a.put("MigrateTimeout", 60);
    a.put("RestartLimit", vm.endsWith("a") ? 1 : 0);
    return a;
  }

  /** {@code node}'s main.cf: every system with its RHEV host, and the VMs with its own user. */
  private String mainCf(List<String> names, String node, PasswordCipher cipher) {
    StringBuilder cf = new StringBuilder();
    for (String n : names) {
      cf.append("system ")
          .append(n)
          .append(" ( PhysicalServer = ")
          .append(hostByNode.get(n))
          .append(" )\n");
    }
    for (String vm : VMS) {
      cf.append("group ").append(vm).append("_grp ( SystemList = { ");
      for (int i = 0; i < names.size(); i++) {
        cf.append(i == 0 ? "" : ", ").append(names.get(i)).append(" = ").append(i);
      }
      cf.append(" } )\nKVMGuest ").append(vm).append(" (\n");
      for (var e : attributes(vm, rhevmInfo(cipher, node)).entrySet()) {
        cf.append("  ").append(e.getKey()).append(" = ").append(value(e.getValue())).append('\n');
      }
      cf.append(")\n");
    }
    return cf.toString();
  }

  private static String value(Object v) {
    if (v instanceof Map<?, ?> m) {
      StringBuilder b = new StringBuilder("{ ");
      boolean first = true;
      for (var e : m.entrySet()) {
        b.append(first ? "" : ", ").append(e.getKey()).append(" = ").append(value(e.getValue()));
        first = false;
      }
      return b.append(" }").toString();
    }
    return v instanceof String ? "\"" + v + "\"" : String.valueOf(v);
  }

  @Override
  public List<Lane> lanes() {
    return lanes;
  }

  @Override
  public List<FaultKind> faults() {
    return RhevFaults.kinds(this, lanes.get(0));
  }

  @Override
  public List<TruthSource> truth() {
    return truth;
  }

  @Override
  public List<ExtraInvariant> invariants() {
    return invariants;
  }

  @Override
  public void close() {
    for (AgentNode a : agents) {
      a.close();
    }
    if (sim != null) {
      sim.close();
    }
  }

  /** {@link RhevObserver}'s invariants, one violation per check (the rest wait for the next). */
  private static final class RhevInvariant implements ExtraInvariant {
    private final RhevObserver observer;
    private final java.util.ArrayDeque<RhevObserver.Violation> pending =
        new java.util.ArrayDeque<>();

    RhevInvariant(RhevObserver observer) {
      this.observer = observer;
    }

    @Override
    public String name() {
      return "rhev: one copy, own host only";
    }

    @Override
    public Optional<String> check() {
      pending.addAll(observer.sample());
      RhevObserver.Violation v = pending.poll();
      return v == null ? Optional.empty() : Optional.of(v.invariant() + ": " + v.what());
    }
  }
}
