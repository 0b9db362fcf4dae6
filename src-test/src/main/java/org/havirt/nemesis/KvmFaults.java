package org.havirt.nemesis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.havirt.testing.PrivateLibvirtd;

/**
 * The KVM fault kinds. Each picks its target with the rng among what the truth offers now. At most
 * one libvirtd fault and one agent fault per node at a time (a frozen daemon cannot also be killed
 * meaningfully, and virsh against it would hang the scheduler). Thread-safe: inject runs on the
 * scheduler's thread, heals on the healer's threads; the busy sets are concurrent.
 */
final class KvmFaults {
  private static final Duration VIRSH = Duration.ofSeconds(15);

  private final KvmBackend kvm;
  private final XmlForward fwd;
  private final Set<String> libvirtdBusy = ConcurrentHashMap.newKeySet();
  private final Set<String> agentBusy = ConcurrentHashMap.newKeySet();

  KvmFaults(KvmBackend kvm, XmlForward fwd) {
    this.kvm = kvm;
    this.fwd = fwd;
  }

  /** A fault kind from a name and a body. */
  private record Kind(String name, Body body) implements FaultKind {
    @Override
    public Optional<Injection> inject(World w, Random rng) throws Exception {
      return body.inject(w, rng);
    }
  }

  @FunctionalInterface
  private interface Body {
    Optional<Injection> inject(World w, Random rng) throws Exception;
  }

  List<FaultKind> kinds(List<Lane> lanes) {
    boolean qemu = lanes.stream().anyMatch(l -> l.name().equals("qemu"));
    boolean qemuMigrates = lanes.stream().anyMatch(l -> l.name().equals("qemu") && l.migrates());
    List<FaultKind> k = new ArrayList<>();
    k.add(new Kind("virsh-destroy", this::destroy));
    k.add(new Kind("virsh-start", this::startByHand));
    k.add(new Kind("virsh-suspend", this::suspend));
    k.add(new Kind("virsh-undefine", this::undefine));
    k.add(new Kind("xml-edit", this::edit));
    k.add(new Kind("libvirtd-kill", this::libvirtdKill));
    k.add(new Kind("libvirtd-freeze", this::libvirtdFreeze));
    k.add(new Kind("libvirtd-socket-gone", this::socketGone));
    k.add(new Kind("agent-kill", this::agentKill));
    k.add(new Kind("agent-freeze", this::agentFreeze));
    k.add(new Kind("engine-drop", this::engineDrop));
    if (kvm.lanes().stream().anyMatch(l -> l.nodes().get(0).isolated())) {
      k.add(new Kind("state-dir-read-only", (w, rng) -> readOnly(w, rng, true)));
      k.add(new Kind("shared-dir-read-only", (w, rng) -> readOnly(w, rng, false)));
    }
    if (qemu) {
      k.add(new Kind("qemu-kill", this::qemuKill));
    }
    if (qemuMigrates) {
      k.add(new Kind("virsh-migrate", this::migrate));
    }
    return k;
  }

  // ---- helpers ----

  private static <T> T pick(List<T> from, Random rng) {
    return from.get(rng.nextInt(from.size()));
  }

  /** A place where the truth says the guest runs (RUNNING), on a node whose libvirtd is free. */
  private Optional<Place> running(World w, Random rng, boolean qemuOnly) {
    List<Place> on = new ArrayList<>();
    for (Lane l : w.lanes()) {
      if (qemuOnly && !l.name().equals("qemu")) {
        continue;
      }
      if (!kvm.lanes().contains(l)) {
        continue;
      }
      for (String r : l.resources()) {
        for (Place p : l.places(r)) {
          if (w.observer().truth(p) == Copy.RUNNING && !libvirtdBusy.contains(p.node())) {
            on.add(p);
          }
        }
      }
    }
    // The rng is drawn from whatever the truth offers, so a seed names the same draw.
    int draw = rng.nextInt(1 << 20);
    return on.isEmpty() ? Optional.empty() : Optional.of(on.get(draw % on.size()));
  }

  private PrivateLibvirtd.Result virsh(String node, String... args) throws Exception {
    PrivateLibvirtd lv = kvm.libvirtdOf.get(node);
    List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", lv.uri()));
    cmd.addAll(List.of(args));
    return PrivateLibvirtd.run(cmd, VIRSH);
  }

  private static Injection instant(String kind, String text, Set<Place> touches) {
    return new Injection(kind, text, touches, Set.of(), Set.of(), Duration.ZERO, null);
  }

  private static Duration between(Random rng, int minMs, int maxMs) {
    return Duration.ofMillis(minMs + rng.nextInt(maxMs - minMs + 1));
  }

  // ---- guests ----

  private Optional<Injection> destroy(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    var r = virsh(p.get().node(), "destroy", p.get().resource());
    return Optional.of(
        instant("virsh-destroy", "virsh destroy " + p.get() + " -> " + r.exit(), Set.of(p.get())));
  }

  private Optional<Injection> startByHand(World w, Random rng) throws Exception {
    List<Lane> lanes = kvm.lanes();
    Lane l = pick(lanes, rng);
    String r = pick(l.resources(), rng);
    Place p = pick(l.places(r), rng);
    ReentrantLock lock = w.engine().lock(r);
    if (libvirtdBusy.contains(p.node()) || !lock.tryLock()) {
      return Optional.empty();
    }
    try {
      // Only where it runs nowhere, no engine request of it is in flight (the lock) or was left
      // without an answer (its outcome is unknown), and every agent publishes it stopped: a start
      // by hand racing the engine's own start would be the operator's double start, not the
      // agent's.
      if (!w.engine().quiet(r)) {
        return Optional.empty();
      }
      for (Place q : l.places(r)) {
        // Off for 10 s everywhere: no automatic restart of the agent's own is under way.
        if (w.observer().offFor(q).compareTo(Duration.ofSeconds(10)) < 0
            || libvirtdBusy.contains(q.node())) {
          return Optional.empty();
        }
      }
      var res = virsh(p.node(), "create", kvm.sharedXml.get(r).toString());
      return Optional.of(
          instant(
              "virsh-start",
              "virsh create " + p + " -> " + res.exit() + " " + res.output().trim(),
              Set.of(p)));
    } finally {
      lock.unlock();
    }
  }

  private Optional<Injection> suspend(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Place at = p.get();
    var r = virsh(at.node(), "suspend", at.resource());
    return Optional.of(
        new Injection(
            "virsh-suspend",
            "virsh suspend " + at + " -> " + r.exit(),
            Set.of(),
            Set.of(),
            Set.of(),
            between(rng, 1000, 10_000),
            () -> virsh(at.node(), "resume", at.resource())));
  }

  private Optional<Injection> undefine(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    var r = virsh(p.get().node(), "undefine", p.get().resource());
    return Optional.of(
        instant("virsh-undefine", "virsh undefine " + p.get() + " -> " + r.exit(), Set.of()));
  }

  private Optional<Injection> edit(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Place at = p.get();
    var dump = virsh(at.node(), "dumpxml", "--inactive", at.resource());
    if (dump.exit() != 0 || !dump.output().contains("<description>gen ")) {
      return Optional.empty(); // transient (undefined by hand): nothing persistent to edit
    }
    long gen = fwd.nextGen(at.resource());
    String xml =
        dump.output()
            .replaceFirst(
                "<description>gen \\d+</description>",
                "<description>gen " + gen + "</description>");
    Path f = Files.createTempFile("nemesis-edit", ".xml");
    try {
      Files.writeString(f, xml);
      var r = virsh(at.node(), "define", f.toString());
      return Optional.of(
          instant(
              "xml-edit", "virsh define gen " + gen + " on " + at + " -> " + r.exit(), Set.of()));
    } finally {
      Files.deleteIfExists(f);
    }
  }

  // ---- libvirtd ----

  private Optional<String> freeLibvirtd(Random rng) {
    List<String> nodes = new ArrayList<>(kvm.libvirtdOf.keySet());
    String n = pick(nodes, rng);
    return libvirtdBusy.add(n) ? Optional.of(n) : Optional.empty();
  }

  private Set<Place> placesOn(String node) {
    Set<Place> s = new java.util.HashSet<>();
    for (Lane l : kvm.lanes()) {
      if (l.nodeNames().contains(node)) {
        for (String r : l.resources()) {
          s.add(new Place(node, r));
        }
      }
    }
    return s;
  }

  private Optional<Injection> libvirtdKill(World w, Random rng) throws Exception {
    Optional<String> n = freeLibvirtd(rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    PrivateLibvirtd lv = kvm.libvirtdOf.get(n.get());
    lv.kill();
    // A test-driver daemon keeps its domains in memory: its guests are gone with it.
    Set<Place> touched = lv.isQemu() ? Set.of() : placesOn(n.get());
    return Optional.of(
        new Injection(
            "libvirtd-kill",
            "kill -9 libvirtd of " + n.get(),
            touched,
            Set.of(),
            Set.of(n.get()),
            between(rng, 1000, 5000),
            () -> {
              try {
                lv.restart();
              } finally {
                libvirtdBusy.remove(n.get());
              }
            }));
  }

  private Optional<Injection> libvirtdFreeze(World w, Random rng) throws Exception {
    Optional<String> n = freeLibvirtd(rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    PrivateLibvirtd lv = kvm.libvirtdOf.get(n.get());
    lv.freeze();
    return Optional.of(
        new Injection(
            "libvirtd-freeze",
            "SIGSTOP libvirtd of " + n.get(),
            Set.of(),
            Set.of(),
            Set.of(n.get()),
            between(rng, 1000, 20_000),
            () -> {
              try {
                lv.thaw();
              } finally {
                libvirtdBusy.remove(n.get());
              }
            }));
  }

  /**
   * The libvirtd's socket moved away: connections already open go on, new ones fail, as for a peer
   * that cannot be reached (the peer check of a start on another node, a reconnect here).
   */
  private Optional<Injection> socketGone(World w, Random rng) throws Exception {
    Optional<String> n = freeLibvirtd(rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    PrivateLibvirtd lv = kvm.libvirtdOf.get(n.get());
    Path sock = lv.dir().resolve(lv.isQemu() ? "sock/libvirt-sock" : "run/libvirt-sock");
    Path away = sock.resolveSibling("libvirt-sock.away");
    Files.move(sock, away);
    return Optional.of(
        new Injection(
            "libvirtd-socket-gone",
            "libvirtd socket of " + n.get() + " moved away",
            Set.of(),
            Set.of(),
            Set.of(n.get()),
            between(rng, 1000, 10_000),
            () -> {
              try {
                Files.move(away, sock);
              } finally {
                libvirtdBusy.remove(n.get());
              }
            }));
  }

  private Optional<Injection> qemuKill(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, true);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    long pid = kvm.libvirtdOf.get(p.get().node()).qemuPid(p.get().resource());
    var r = PrivateLibvirtd.run(List.of("kill", "-9", Long.toString(pid)), VIRSH);
    return Optional.of(
        instant(
            "qemu-kill",
            "kill -9 qemu " + pid + " of " + p.get() + " -> " + r.exit(),
            Set.of(p.get())));
  }

  private Optional<Injection> migrate(World w, Random rng) throws Exception {
    Optional<Place> p = running(w, rng, true);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Place from = p.get();
    Lane l = w.laneOf(from.node());
    String to =
        l.nodeNames().stream().filter(n -> !n.equals(from.node())).findFirst().orElseThrow();
    if (libvirtdBusy.contains(to) || !libvirtdBusy.add(from.node())) {
      return Optional.empty();
    }
    if (!libvirtdBusy.add(to)) {
      libvirtdBusy.remove(from.node());
      return Optional.empty();
    }
    String dest = kvm.libvirtdOf.get(to).uri();
    Thread t =
        new Thread(
            () -> {
              try {
                var r =
                    virsh(
                        from.node(),
                        "migrate",
                        "--live",
                        "--persistent",
                        "--undefinesource",
                        from.resource(),
                        dest,
                        "tcp://127.0.0.1");
                w.ring.add(
                    "fault",
                    "virsh migrate "
                        + from
                        + " -> "
                        + to
                        + ": "
                        + r.exit()
                        + " "
                        + r.output().trim());
              } catch (Exception e) {
                w.ring.add("fault", "virsh migrate " + from + " failed: " + e);
              }
            },
            "nemesis-migrate");
    t.start();
    return Optional.of(
        new Injection(
            "virsh-migrate",
            "virsh migrate " + from + " to " + to,
            Set.of(from, new Place(to, from.resource())),
            Set.of(),
            Set.of(),
            Duration.ofMillis(1),
            () -> {
              try {
                t.join(VIRSH.toMillis() * 4);
              } finally {
                libvirtdBusy.remove(from.node());
                libvirtdBusy.remove(to);
              }
            }));
  }

  // ---- agents and the engine ----

  private Optional<String> freeAgent(World w, Random rng) {
    List<String> nodes = new ArrayList<>(kvm.libvirtdOf.keySet());
    String n = pick(nodes, rng);
    return agentBusy.add(n) ? Optional.of(n) : Optional.empty();
  }

  private Optional<Injection> agentKill(World w, Random rng) throws Exception {
    Optional<String> n = freeAgent(w, rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    AgentNode a = w.node(n.get());
    a.kill9();
    return Optional.of(
        new Injection(
            "agent-kill",
            "kill -9 agent " + n.get(),
            Set.of(),
            Set.of(n.get()),
            Set.of(),
            between(rng, 0, 5000),
            () -> {
              try {
                a.start();
              } finally {
                agentBusy.remove(n.get());
              }
            }));
  }

  private Optional<Injection> agentFreeze(World w, Random rng) throws Exception {
    Optional<String> n = freeAgent(w, rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    AgentNode a = w.node(n.get());
    a.freeze();
    return Optional.of(
        new Injection(
            "agent-freeze",
            "SIGSTOP agent " + n.get(),
            Set.of(),
            Set.of(n.get()),
            Set.of(),
            between(rng, 1000, 10_000),
            () -> {
              try {
                a.thaw();
              } finally {
                agentBusy.remove(n.get());
              }
            }));
  }

  /**
   * The agent's state directory, or the lane's shared storage as this agent sees it, made read-only
   * for a while (a remount in the agent's own mount namespace).
   */
  private Optional<Injection> readOnly(World w, Random rng, boolean stateDir) throws Exception {
    Optional<String> n = freeAgent(w, rng);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    AgentNode a = w.node(n.get());
    Path dir = stateDir ? a.dir().resolve("state") : kvm.sharedDirOf(n.get());
    if (!a.remount(dir, true)) {
      agentBusy.remove(n.get());
      return Optional.empty();
    }
    String kind = stateDir ? "state-dir-read-only" : "shared-dir-read-only";
    return Optional.of(
        new Injection(
            kind,
            dir + " read-only for agent " + n.get(),
            Set.of(),
            Set.of(),
            Set.of(),
            between(rng, 2000, 15_000),
            () -> {
              try {
                a.remount(dir, false);
              } finally {
                agentBusy.remove(n.get());
              }
            }));
  }

  private Optional<Injection> engineDrop(World w, Random rng) {
    List<String> nodes = new ArrayList<>(kvm.libvirtdOf.keySet());
    String n = pick(nodes, rng);
    w.engine().dropConnection(n);
    return Optional.of(instant("engine-drop", "engine connection to " + n + " dropped", Set.of()));
  }
}
