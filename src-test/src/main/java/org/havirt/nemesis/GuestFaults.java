package org.havirt.nemesis;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The KVM fault kinds that hit a guest behind the agents' backs, as an administrator with {@code
 * virsh} would: {@code virsh-destroy}, {@code virsh-start}, {@code virsh-suspend}, {@code
 * virsh-undefine} and {@code xml-edit} ({@link KvmFaults#kinds} lists them). Contract: each picks a
 * guest the truth says runs, on a node whose libvirtd no other fault holds ({@link
 * KvmFaults#running}); a start by hand only when the engine's lock on the resource is free and the
 * guest has been off everywhere long enough (a start racing the engine's own would be an operator's
 * double start, which no agent can prevent).
 *
 * <p>Thread-safe: faults are injected on the scheduler's thread and healed on the healer's threads;
 * it keeps no state of its own beyond {@link KvmFaults}' concurrent busy set.
 */
final class GuestFaults {
  private final KvmFaults faults;
  private final KvmBackend kvm;
  private final XmlForward fwd;

  GuestFaults(KvmFaults faults, KvmBackend kvm, XmlForward fwd) {
    this.faults = faults;
    this.kvm = kvm;
    this.fwd = fwd;
  }

  Optional<Injection> destroy(World w, Random rng) throws Exception {
    Optional<Place> p = faults.running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    var r = faults.virsh(p.get().node(), "destroy", p.get().resource());
    return Optional.of(
        KvmFaults.instant(
            "virsh-destroy", "virsh destroy " + p.get() + " -> " + r.exit(), Set.of(p.get())));
  }

  Optional<Injection> startByHand(World w, Random rng) throws Exception {
    List<Lane> lanes = kvm.lanes();
    Lane l = KvmFaults.pick(lanes, rng);
    String r = KvmFaults.pick(l.resources(), rng);
    Place p = KvmFaults.pick(l.places(r), rng);
    ReentrantLock lock = w.engine().lock(r);
    if (faults.libvirtdBusy.contains(p.node()) || !lock.tryLock()) {
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
            || faults.libvirtdBusy.contains(q.node())) {
          return Optional.empty();
        }
      }
      var res = faults.virsh(p.node(), "create", kvm.sharedXml.get(r).toString());
      return Optional.of(
          KvmFaults.instant(
              "virsh-start",
              "virsh create " + p + " -> " + res.exit() + " " + res.output().trim(),
              Set.of(p)));
    } finally {
      lock.unlock();
    }
  }

  Optional<Injection> suspend(World w, Random rng) throws Exception {
    Optional<Place> p = faults.running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Place at = p.get();
    var r = faults.virsh(at.node(), "suspend", at.resource());
    return Optional.of(
        new Injection(
            "virsh-suspend",
            "virsh suspend " + at + " -> " + r.exit(),
            Set.of(),
            Set.of(),
            Set.of(),
            Set.of(at.node()),
            KvmFaults.between(rng, 1000, 10_000),
            () -> faults.virsh(at.node(), "resume", at.resource())));
  }

  Optional<Injection> undefine(World w, Random rng) throws Exception {
    Optional<Place> p = faults.running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    var r = faults.virsh(p.get().node(), "undefine", p.get().resource());
    return Optional.of(
        new Injection(
            "virsh-undefine",
            "virsh undefine " + p.get() + " -> " + r.exit(),
            Set.of(),
            Set.of(),
            Set.of(),
            Set.of(p.get().node()),
            Duration.ZERO,
            null));
  }

  Optional<Injection> edit(World w, Random rng) throws Exception {
    Optional<Place> p = faults.running(w, rng, false);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    Place at = p.get();
    var dump = faults.virsh(at.node(), "dumpxml", "--inactive", at.resource());
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
      var r = faults.virsh(at.node(), "define", f.toString());
      return Optional.of(
          new Injection(
              "xml-edit",
              "virsh define gen " + gen + " on " + at + " -> " + r.exit(),
              Set.of(),
              Set.of(),
              Set.of(),
              Set.of(at.node()),
              Duration.ZERO,
              null));
    } finally {
      Files.deleteIfExists(f);
    }
  }
}
