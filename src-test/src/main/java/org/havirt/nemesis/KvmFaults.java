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
import org.havirt.testing.PrivateLibvirtd;

/**
 * The KVM fault kinds: the libvirtd and QEMU faults here, the guests' in {@link GuestFaults}, the
 * agents' and the engine link's in {@link AgentFaults}; {@link #kinds} lists them all. Each picks
 * its target with the rng among what the truth offers now. At most one libvirtd fault and one agent
 * fault per node at a time (a frozen daemon cannot also be killed meaningfully, and virsh against
 * it would hang the scheduler). Thread-safe: inject runs on the scheduler's thread, heals on the
 * healer's threads; the busy sets are concurrent.
 */
final class KvmFaults {
  private static final Duration VIRSH = Duration.ofSeconds(15);

  private final KvmBackend kvm;
  final Set<String> libvirtdBusy = ConcurrentHashMap.newKeySet();
  private final AgentFaults agents;
  private final GuestFaults guests;

  KvmFaults(KvmBackend kvm, XmlForward fwd) {
    this.kvm = kvm;
    this.agents = new AgentFaults(kvm);
    this.guests = new GuestFaults(this, kvm, fwd);
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
    k.add(new Kind("virsh-destroy", guests::destroy));
    k.add(new Kind("virsh-start", guests::startByHand));
    k.add(new Kind("virsh-suspend", guests::suspend));
    k.add(new Kind("virsh-undefine", guests::undefine));
    k.add(new Kind("xml-edit", guests::edit));
    k.add(new Kind("libvirtd-kill", this::libvirtdKill));
    k.add(new Kind("libvirtd-freeze", this::libvirtdFreeze));
    k.add(new Kind("libvirtd-socket-gone", this::socketGone));
    k.add(new Kind("agent-kill", agents::agentKill));
    k.add(new Kind("agent-freeze", agents::agentFreeze));
    k.add(new Kind("engine-drop", agents::engineDrop));
    if (kvm.lanes().stream().anyMatch(l -> l.nodes().get(0).isolated())) {
      k.add(new Kind("state-dir-read-only", (w, rng) -> agents.readOnly(w, rng, true)));
      k.add(new Kind("shared-dir-read-only", (w, rng) -> agents.readOnly(w, rng, false)));
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

  static <T> T pick(List<T> from, Random rng) {
    return from.get(rng.nextInt(from.size()));
  }

  /** A place where the truth says the guest runs (RUNNING), on a node whose libvirtd is free. */
  Optional<Place> running(World w, Random rng, boolean qemuOnly) {
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

  PrivateLibvirtd.Result virsh(String node, String... args) throws Exception {
    PrivateLibvirtd lv = kvm.libvirtdOf.get(node);
    List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", lv.uri()));
    cmd.addAll(List.of(args));
    return PrivateLibvirtd.run(cmd, VIRSH);
  }

  static Injection instant(String kind, String text, Set<Place> touches) {
    return new Injection(kind, text, touches, Set.of(), Set.of(), Duration.ZERO, null);
  }

  static Duration between(Random rng, int minMs, int maxMs) {
    return Duration.ofMillis(minMs + rng.nextInt(maxMs - minMs + 1));
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
}
