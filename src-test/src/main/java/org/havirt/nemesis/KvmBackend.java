package org.havirt.nemesis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.havirt.testing.PrivateLibvirtd;

/**
 * The KVM part of a campaign. Two lanes of {@code nodes} nodes each, every node a private libvirtd
 * with a real agent on it:
 *
 * <ul>
 *   <li>{@code tdrv}: libvirt's test driver, three guests: cheap, for breadth of operations;
 *   <li>{@code qemu}: the QEMU driver with diskless TCG guests (needs root), one guest: for the
 *       faults of real processes (kill -9 of a qemu, a live migration behind the agent's back).
 * </ul>
 *
 * Every guest has a shared definition file ({@code GuestConfigFilePath}) on the lane's "shared
 * storage" (a directory both nodes use), whose {@code <description>gen N</description>} the {@code
 * xml-edit} fault advances; {@link XmlForward} checks it never goes back. Not thread-safe: the
 * campaign's thread sets it up and closes it.
 */
public final class KvmBackend implements Backend {
  private final int nodes;
  private final List<Lane> lanes = new ArrayList<>();
  private final List<TruthSource> truth = new ArrayList<>();
  private final List<ExtraInvariant> invariants = new ArrayList<>();
  private final List<PrivateLibvirtd> libvirtds = new ArrayList<>();
  private final List<AgentNode> agents = new ArrayList<>();
  private final List<LibvirtEvents> events = new ArrayList<>();
  final Map<String, PrivateLibvirtd> libvirtdOf = new LinkedHashMap<>();
  final Map<String, Path> sharedXml = new LinkedHashMap<>();
  private final Map<String, Path> sharedDir = new LinkedHashMap<>();
  private KvmFaults faults;

  public KvmBackend(int nodes) {
    this.nodes = nodes;
  }

  @Override
  public String name() {
    return "kvm";
  }

  @Override
  public void setUp(World world) throws Exception {
    Path root = world.root.resolve("kvm");
    lanes.add(lane(world, root, "tdrv", "t", List.of("ta", "tb", "tc"), false));
    if (PrivateLibvirtd.qemuUnavailable().isEmpty()) {
      lanes.add(lane(world, root, "qemu", "q", List.of("qa"), nodes > 1));
    } else {
      world.ring.add("kvm", "no QEMU lane: " + PrivateLibvirtd.qemuUnavailable().get());
    }
    startAll(agents);
    XmlForward fwd = new XmlForward(sharedXml);
    invariants.add(fwd);
    faults = new KvmFaults(this, fwd);
  }

  private Lane lane(
      World world, Path root, String name, String prefix, List<String> guests, boolean migrates)
      throws Exception {
    boolean qemu = name.equals("qemu");
    Path shared = Files.createDirectories(root.resolve(name + "-shared"));
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      names.add(prefix + i);
    }
    Map<String, Map<String, Object>> attrs = new LinkedHashMap<>();
    StringBuilder cf = new StringBuilder();
    for (String n : names) {
      cf.append("system ").append(n).append(" ( )\n");
    }
    for (String g : guests) {
      Path xml = shared.resolve(g + ".xml");
      Files.writeString(xml, domainXml(g, qemu, 1));
      sharedXml.put(g, xml);
      Map<String, Object> a = new LinkedHashMap<>();
      a.put("GuestName", g);
      a.put("GuestConfigFilePath", xml.toString());
      a.put("DelayAfterGuestOnline", 0);
      a.put("DelayAfterGuestOffline", 3);
      a.put("MonitorInterval", 5);
      a.put("OfflineMonitorInterval", 5);
      a.put("OnlineTimeout", 30);
      a.put("OfflineTimeout", 30);
      a.put("CleanTimeout", 30);
      a.put("MonitorTimeout", 10);
      a.put("MigrateTimeout", 60);
      // One guest of each lane is restarted in place once before it faults.
      a.put("RestartLimit", g.endsWith("a") ? 1 : 0);
      attrs.put(g, a);
      cf.append("group ").append(g).append("_grp ( SystemList = { ");
      for (int i = 0; i < names.size(); i++) {
        cf.append(i == 0 ? "" : ", ").append(names.get(i)).append(" = ").append(i);
      }
      cf.append(" } )\nKVMGuest ").append(g).append(" (\n");
      for (var e : a.entrySet()) {
        Object v = e.getValue();
        cf.append("  ")
            .append(e.getKey())
            .append(" = ")
            .append(v instanceof String ? "\"" + v + "\"" : v)
            .append('\n');
      }
      cf.append(")\n");
    }
    Path mainCf = root.resolve(name + "-main.cf");
    Files.writeString(mainCf, cf.toString());
    String sockTemplate =
        qemu
            ? "qemu+unix:///system?socket=" + root.resolve("lv/%h/sock/libvirt-sock")
            : "test+unix:///default?socket=" + root.resolve("lv/%h/run/libvirt-sock");
    List<AgentNode> laneAgents = new ArrayList<>();
    int k = 0;
    for (String n : names) {
      k++;
      PrivateLibvirtd lv =
          qemu
              ? PrivateLibvirtd.qemu(
                  root.resolve("lv/" + n),
                  String.format("0%d0%d0%d0%d-0000-4000-8000-00000000000%d", k, k, k, k, k))
              : PrivateLibvirtd.testDriver(root.resolve("lv/" + n));
      libvirtds.add(lv);
      events.add(new LibvirtEvents(n, lv.uri(), world.ring));
      sharedDir.put(n, shared);
      libvirtdOf.put(n, lv);
      List<String> args =
          new ArrayList<>(
              List.of(
                  "-c",
                  mainCf.toString(),
                  "--libvirt-uri",
                  lv.uri(),
                  "--migrate-uri",
                  sockTemplate));
      if (qemu) {
        args.addAll(List.of("--migrate-data-uri", "tcp://127.0.0.1"));
      }
      AgentNode a = new AgentNode(n, root.resolve("agents/" + n), args, Map.of(), world.ring);
      if (PrivateLibvirtd.qemuUnavailable().isEmpty()) {
        // Root: the read-only faults can reach this agent's state directory and shared storage.
        a.isolate(List.of(a.dir().resolve("state"), shared));
      }
      agents.add(a);
      laneAgents.add(a);
      truth.add(qemu ? new QemuTruth(n, lv.dir(), guests) : new VirshTruth(n, lv.uri(), guests));
    }
    return new Lane(name, laneAgents, guests, migrates, attrs);
  }

  /** The shared storage of a node's lane. */
  Path sharedDirOf(String node) {
    return sharedDir.get(node);
  }

  /** Starts the agents side by side (each JVM start is seconds on a loaded machine). */
  static void startAll(List<AgentNode> all) throws Exception {
    List<java.util.concurrent.CompletableFuture<Void>> starts = new ArrayList<>();
    for (AgentNode a : all) {
      starts.add(
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try {
                  a.start();
                } catch (IOException | InterruptedException e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              }));
    }
    for (var f : starts) {
      f.get();
    }
  }

  /** A guest's domain XML, with its generation in the description. */
  static String domainXml(String name, boolean qemu, long gen) {
    if (qemu) {
      return "<domain type='qemu'><name>"
          + name
          + "</name><description>gen "
          + gen
          + "</description><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
          + "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>"
          + "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>"
          + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/>"
          + "</devices></domain>\n";
    }
    return "<domain type='test'><name>"
        + name
        + "</name><description>gen "
        + gen
        + "</description><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os></domain>\n";
  }

  @Override
  public List<Lane> lanes() {
    return lanes;
  }

  @Override
  public List<FaultKind> faults() {
    return faults.kinds(lanes);
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
    events.forEach(LibvirtEvents::close);
    for (AgentNode a : agents) {
      a.close();
    }
    for (PrivateLibvirtd lv : libvirtds) {
      try {
        lv.thaw();
      } catch (IOException | InterruptedException | RuntimeException e) {
        // not frozen, or gone
      }
      try {
        lv.close();
      } catch (IOException | RuntimeException e) {
        System.err.println("nemesis: closing libvirtd " + lv.dir() + ": " + e);
      }
    }
  }
}
