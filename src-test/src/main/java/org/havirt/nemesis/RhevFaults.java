package org.havirt.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.havirt.testing.rhevm.RhevFaultSchedule;
import org.havirt.testing.rhevm.SimFaults;
import org.havirt.testing.rhevm.SimModel;

/**
 * The RHEV fault kinds: RHEV-M's API failing (bounded latency, 5xx, garbage bodies, connections
 * dropped mid-response, tokens revoked), a host partitioned from RHEV-M (its VMs run on, unknown to
 * RHEV-M) or crashed and power-fenced (its VMs down, the host rebooting), and a VM dying by itself.
 * What each explains ({@link Injection}): an API fault makes every RHEV node's state UNKNOWN
 * allowable (RHEV-M cannot be believed), except latency, which stays within the resources'
 * MonitorTimeout and explains nothing; a partition makes every node UNKNOWN allowable (every node
 * reads "unknown" from RHEV-M) and may cancel a migration under way there; a power fence stops that
 * host's VMs and refuses starts there while it reboots; a VM crash stops that VM. Stateless; the
 * scheduler's thread calls it.
 */
final class RhevFaults {
  private RhevFaults() {}

  /** One kind: a name and how it injects. */
  private record Kind(String name, Inject how) implements FaultKind {
    @Override
    public Optional<Injection> inject(World world, Random rng) throws Exception {
      return how.inject(rng);
    }
  }

  @FunctionalInterface
  private interface Inject {
    Optional<Injection> inject(Random rng) throws Exception;
  }

  static List<FaultKind> kinds(RhevLane rhev, Lane lane) {
    List<FaultKind> k = new ArrayList<>();
    k.add(new Kind("rhev-latency", rng -> api(rhev, lane, rng, "rhev-latency")));
    k.add(new Kind("rhev-5xx", rng -> api(rhev, lane, rng, "rhev-5xx")));
    k.add(new Kind("rhev-garbage", rng -> api(rhev, lane, rng, "rhev-garbage")));
    k.add(new Kind("rhev-drop", rng -> api(rhev, lane, rng, "rhev-drop")));
    k.add(new Kind("rhev-revoke", rng -> api(rhev, lane, rng, "rhev-revoke")));
    k.add(new Kind("rhev-partition", rng -> partition(rhev, lane, rng)));
    k.add(new Kind("rhev-powerfence", rng -> powerFence(rhev, lane, rng)));
    k.add(new Kind("rhev-vm-crash", rng -> vmCrash(rhev, lane, rng)));
    return k;
  }

  /** 3-15 s, drawn with the scheduler's generator. */
  private static Duration lasts(Random rng) {
    return Duration.ofMillis(3000 + rng.nextInt(12_000));
  }

  private static Optional<Injection> api(RhevLane rhev, Lane lane, Random rng, String kind) {
    SimFaults f = rhev.sim.faults;
    if (f.armed()) {
      return Optional.empty(); // one API fault at a time: a heal disarms them all
    }
    double rate = 0.2 + 0.6 * rng.nextDouble();
    Set<String> out = Set.copyOf(lane.nodeNames());
    String text;
    switch (kind) {
      case "rhev-latency" -> {
        f.maxLatencyMillis = RhevFaultSchedule.MAX_LATENCY_MILLIS;
        out = Set.of(); // bounded well inside MonitorTimeout 10 s: nothing to excuse
        text = "every RHEV-M request delayed by up to " + f.maxLatencyMillis + " ms";
      }
      case "rhev-5xx" -> {
        f.p5xx = rate;
        text = String.format("RHEV-M answers 503 to %.0f%% of requests", rate * 100);
      }
      case "rhev-garbage" -> {
        f.pGarbage = rate;
        text = String.format("RHEV-M answers garbage to %.0f%% of requests", rate * 100);
      }
      case "rhev-drop" -> {
        f.pDrop = rate;
        text = String.format("RHEV-M drops %.0f%% of replies mid-way", rate * 100);
      }
      case "rhev-revoke" -> {
        f.pRevoke = rate;
        text = String.format("RHEV-M revokes every token on %.0f%% of requests", rate * 100);
      }
      default -> throw new IllegalArgumentException(kind);
    }
    return Optional.of(
        new Injection(kind, text, Set.of(), Set.of(), out, lasts(rng), () -> f.heal()));
  }

  private static Optional<Injection> partition(RhevLane rhev, Lane lane, Random rng) {
    String node = lane.nodeNames().get(rng.nextInt(lane.nodeNames().size()));
    SimModel.Host h = rhev.sim.model.hostByName(rhev.hostByNode.get(node)).orElseThrow();
    if (!h.status.equals("up")) {
      return Optional.empty();
    }
    rhev.sim.model.partitionHost(h);
    return Optional.of(
        new Injection(
            "rhev-partition",
            "host " + h.name + " of " + node + " cut off from RHEV-M (its VMs run on)",
            placesOn(lane, node),
            Set.of(),
            Set.copyOf(lane.nodeNames()),
            lasts(rng),
            () -> rhev.sim.model.healHost(h)));
  }

  private static Optional<Injection> powerFence(RhevLane rhev, Lane lane, Random rng) {
    String node = lane.nodeNames().get(rng.nextInt(lane.nodeNames().size()));
    SimModel.Host h = rhev.sim.model.hostByName(rhev.hostByNode.get(node)).orElseThrow();
    if (!h.status.equals("up")) {
      return Optional.empty();
    }
    rhev.sim.model.powerFenceHost(h);
    return Optional.of(
        new Injection(
            "rhev-powerfence",
            "host " + h.name + " of " + node + " crashed and power-fenced (its VMs down)",
            placesOn(lane, node),
            Set.of(),
            Set.of(node),
            Duration.ZERO,
            null));
  }

  private static Optional<Injection> vmCrash(RhevLane rhev, Lane lane, Random rng) {
    List<SimModel.VmTruth> running =
        rhev.sim.model.vmTruth().stream()
            .filter(t -> t.copies() > 0 && !t.host().isEmpty())
            .toList();
    if (running.isEmpty()) {
      return Optional.empty();
    }
    SimModel.VmTruth t = running.get(rng.nextInt(running.size()));
    String node =
        rhev.hostByNode.entrySet().stream()
            .filter(e -> e.getValue().equals(t.host()))
            .map(java.util.Map.Entry::getKey)
            .findFirst()
            .orElse("");
    rhev.sim.model.crashVm(rhev.sim.model.vmByName(t.name()).orElseThrow());
    return Optional.of(
        new Injection(
            "rhev-vm-crash",
            "VM " + t.name() + " on " + t.host() + " died",
            Set.of(new Place(node, t.name())),
            Set.of(),
            Set.of(),
            Duration.ZERO,
            null));
  }

  private static Set<Place> placesOn(Lane lane, String node) {
    Set<Place> s = new HashSet<>();
    for (String r : lane.resources()) {
      s.add(new Place(node, r));
    }
    return s;
  }
}
