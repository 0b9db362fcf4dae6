package org.havirt.nemesis;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KVM fault kinds that hit an agent or the engine's link to it rather than a guest or a
 * libvirtd: {@code agent-kill}, {@code agent-freeze}, {@code state-dir-read-only}, {@code
 * shared-dir-read-only} and {@code engine-drop} ({@link KvmFaults#kinds} lists them). Contract: at
 * most one agent fault per node at a time (a frozen agent cannot also be killed meaningfully); a
 * fault's heal frees its node again, even when the heal itself fails.
 *
 * <p>Thread-safe: faults are injected on the scheduler's thread and healed on the healer's threads;
 * the set of busy agents is concurrent.
 */
final class AgentFaults {
  private final KvmBackend kvm;
  private final Set<String> agentBusy = ConcurrentHashMap.newKeySet();

  AgentFaults(KvmBackend kvm) {
    this.kvm = kvm;
  }

  private Optional<String> freeAgent(World w, Random rng) {
    List<String> nodes = new ArrayList<>(kvm.libvirtdOf.keySet());
    String n = KvmFaults.pick(nodes, rng);
    return agentBusy.add(n) ? Optional.of(n) : Optional.empty();
  }

  Optional<Injection> agentKill(World w, Random rng) throws Exception {
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
            KvmFaults.between(rng, 0, 5000),
            () -> {
              try {
                a.start();
              } finally {
                agentBusy.remove(n.get());
              }
            }));
  }

  Optional<Injection> agentFreeze(World w, Random rng) throws Exception {
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
            KvmFaults.between(rng, 1000, 10_000),
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
  Optional<Injection> readOnly(World w, Random rng, boolean stateDir) throws Exception {
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
            Set.of(n.get()),
            KvmFaults.between(rng, 2000, 15_000),
            () -> {
              try {
                a.remount(dir, false);
              } finally {
                agentBusy.remove(n.get());
              }
            }));
  }

  Optional<Injection> engineDrop(World w, Random rng) {
    List<String> nodes = new ArrayList<>(kvm.libvirtdOf.keySet());
    String n = KvmFaults.pick(nodes, rng);
    w.engine().dropConnection(n);
    return Optional.of(
        KvmFaults.instant("engine-drop", "engine connection to " + n + " dropped", Set.of()));
  }
}
