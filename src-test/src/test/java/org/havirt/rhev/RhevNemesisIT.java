package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevFaultSchedule;
import org.havirt.testing.rhevm.RhevObserver;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.CleanReason;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.PasswordCipher;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small RHEV nemesis, in one JVM: two nodes (a RHEV backend each, on hosts h1 and h2, each with
 * its own API user) drive two VMs of one simulated RHEV-M through the resource agent, as a cluster
 * engine would (monitor both nodes, start on one node only when both say the VM is not there and
 * neither is UNKNOWN, sometimes stop or migrate it), while a seeded schedule injects every RHEV
 * fault kind. The observer reads the simulator's model, never an agent, and checks continuously:
 *
 * <ul>
 *   <li>one copy; own host only; asked for ({@link RhevObserver});
 *   <li>no false state: no OFFLINE while the VM runs on that node's host (INTENTIONAL OFFLINE is
 *       the spec's state of a VM migrating away), and no ONLINE while it does not, as the model had
 *       it both just before and just after the monitor (a monitor reads RHEV-M afresh,
 *       MonitorInterval 1, so no propagation delay is allowed beyond that bracket);
 *   <li>convergence: {@value #CONVERGE_SECONDS} s after the last fault heals, every VM is ONLINE on
 *       exactly one node and runs there once.
 * </ul>
 *
 * This is the RHEV side's development campaign, not the real-daemon one ({@code
 * src-test/nemesis/run.sh}); seed and length: {@code -Drhev.nemesis.seed}, {@code
 * -Drhev.nemesis.seconds} (default 40).
 */
class RhevNemesisIT {
  /**
   * After the last fault heals: a power-fenced host reboots in 3 steps of 200 ms, a start boots in
   * 3 more, the engine loop takes a round of 4 monitors (each bounded by MonitorTimeout 3 s), and a
   * token may need one login: 20 s holds with margin on a loaded 2-core machine.
   */
  static final int CONVERGE_SECONDS = 20;

  @TempDir Path dir;
  RhevmSimulator sim;
  PasswordCipher cipher;
  final List<RhevBackend> backends = new ArrayList<>();
  final List<String> log = Collections.synchronizedList(new ArrayList<>());

  record Node(String name, String host, ResourceAgent agent) {}

  /** What the engine asked, for the observer's "asked for". */
  record Ask(String node, String vm, String action, long from, long to) {}

  final List<Ask> asks = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void tearDown() {
    backends.forEach(RhevBackend::close);
    if (sim != null) {
      sim.close();
    }
  }

  @Test
  void rhevFaultsNeverBreakAnInvariant() throws Exception {
    long seed = Long.getLong("rhev.nemesis.seed", 1);
    long seconds = Long.getLong("rhev.nemesis.seconds", 40);
    sim = new RhevmSimulator(dir, 0, "admin@internal", "pw");
    sim.model.stepMillis = 200;
    sim.model.addCluster("prod");
    sim.model.addHost("h1", "prod");
    sim.model.addHost("h2", "prod");
    List<String> vms = List.of("vmA", "vmB");
    vms.forEach(v -> sim.model.addVm(v, "prod"));
    sim.addUser("u1@internal", "pw1");
    sim.addUser("u2@internal", "pw2");
    cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    List<Node> nodes =
        List.of(
            node("n1", "h1", "u1@internal", "pw1", cipher),
            node("n2", "h2", "u2@internal", "pw2", cipher));
    Map<String, String> hostByNode = Map.of("n1", "h1", "n2", "h2");
    RhevObserver observer =
        new RhevObserver(
            sim.model,
            Map.of("u1@internal", "n1", "u2@internal", "n2"),
            hostByNode,
            (node, vm, action, at) ->
                asks.stream()
                    .anyMatch(
                        a ->
                            a.node().equals(node)
                                && a.vm().equals(vm)
                                && a.action().equals(action)
                                && a.from() <= at
                                && at <= a.to()));
    Random engine = new Random(seed ^ 0x5eed);
    RhevFaultSchedule schedule = new RhevFaultSchedule(seed, sim, List.of("h1", "h2"), vms, 6000);
    List<String> violations = new ArrayList<>();
    long start = System.currentTimeMillis();
    long faultsEnd = start + seconds * 1000;
    long nextFault = start + 3000;
    RhevFaultSchedule.Episode current = null;
    long healAt = 0;
    long lastHeal = start;
    while (true) {
      long now = System.currentTimeMillis();
      if (current != null && now >= healAt) {
        schedule.heal(current);
        log.add(now - start + " ms heal " + current.describe());
        current = null;
        lastHeal = now;
        nextFault = now + 1000 + engine.nextInt(3000);
      }
      if (current == null && now >= nextFault && now < faultsEnd) {
        current = schedule.next();
        schedule.apply(current);
        healAt = now + current.durationMillis();
        log.add(now - start + " ms fault " + current.describe());
      }
      if (current == null && now >= faultsEnd && now > lastHeal + CONVERGE_SECONDS * 1000L) {
        break;
      }
      // After the last fault the engine only keeps its goal (every VM online): a random stop or
      // migration in the converge window would leave the final check judging an engine's own
      // fresh stop (fresh-clone run 19: "n1 offline vmA" 3 s before the end, then 0 ONLINE).
      boolean disrupt = now < faultsEnd;
      for (String vm : vms) {
        round(vm, nodes, observer, engine, violations, start, disrupt);
      }
      observer.sample().forEach(v -> violations.add(v.invariant() + ": " + v.what()));
      assertThat(violations).as("seed %d; log:%n%s", seed, String.join("\n", log)).isEmpty();
    }
    for (String vm : vms) {
      long up = nodes.stream().filter(n -> monitor(n, vm).state() == ResourceState.ONLINE).count();
      assertThat(up)
          .as("%s ONLINE on one node after healing; log:%n%s", vm, String.join("\n", log))
          .isEqualTo(1);
      assertThat(sim.model.vmTruth())
          .filteredOn(t -> t.name().equals(vm))
          .singleElement()
          .satisfies(t -> assertThat(t.copies()).isEqualTo(1));
    }
    log.add("faults injected: " + sim.faults.counts());
    System.out.println("RhevNemesisIT seed " + seed + "\n" + String.join("\n", log));
  }

  Node node(String name, String host, String user, String pw, PasswordCipher cipher) {
    RhevBackend b =
        new RhevBackend(
            new VmBackendFactory.Settings(
                Map.of("rhev.host", host, "key.file", dir.resolve("havirt.key").toString())));
    backends.add(b);
    return new Node(name, host, new ResourceAgent(b, Ticker.SYSTEM));
  }

  final Map<String, GuestSpec> specs = new java.util.concurrent.ConcurrentHashMap<>();

  /** The resource of {@code vm} on {@code n}, made once (its password encrypted once). */
  GuestSpec spec(String vm, Node n) {
    return specs.computeIfAbsent(vm + "@" + n.name(), k -> makeSpec(vm, n));
  }

  GuestSpec makeSpec(String vm, Node n) {
    Map<String, String> info =
        sim.rhevmInfo(cipher.encrypt(n.name().equals("n1") ? "pw1" : "pw2"), "prod");
    info.put("User", n.name().equals("n1") ? "u1@internal" : "u2@internal");
    return new GuestSpec(
        "res_" + vm,
        Map.of(
            "GuestName",
            new AttributeValue.Scalar(vm),
            "RHEVMInfo",
            new AttributeValue.Association(info),
            "DelayAfterGuestOffline",
            new AttributeValue.Scalar("3"),
            "MonitorTimeout",
            new AttributeValue.Scalar("3"),
            "MonitorInterval",
            new AttributeValue.Scalar("1")));
  }

  MonitorResult monitor(Node n, String vm) {
    return n.agent().monitor(spec(vm, n)).state().orElseThrow();
  }

  /** One engine round for {@code vm}: monitor both nodes (checked), then maybe act. */
  void round(
      String vm,
      List<Node> nodes,
      RhevObserver observer,
      Random engine,
      List<String> violations,
      long start,
      boolean disrupt) {
    Map<String, MonitorResult> seen = new java.util.HashMap<>();
    for (Node n : nodes) {
      boolean before = observer.runsOn(vm, n.name());
      MonitorResult m = monitor(n, vm);
      boolean after = observer.runsOn(vm, n.name());
      seen.put(n.name(), m);
      long at = System.currentTimeMillis() - start;
      // OFFLINE is the false fault; INTENTIONAL OFFLINE is the spec's state for a VM that is
      // migrating away (spec §3 table), so it is not one.
      if (before && after && m.state() == ResourceState.OFFLINE) {
        violations.add(
            "false "
                + m.state()
                + " at "
                + at
                + " ms: "
                + vm
                + " runs on "
                + n.name()
                + " ("
                + m
                + ")");
      }
      if (!before && !after && m.state() == ResourceState.ONLINE) {
        violations.add(
            "false ONLINE at "
                + at
                + " ms: "
                + vm
                + " does not run on "
                + n.name()
                + " ("
                + m
                + ")");
      }
    }
    if (seen.values().stream().anyMatch(m -> m.state() == ResourceState.UNKNOWN)) {
      return; // not sure: do nothing
    }
    if (System.currentTimeMillis() < settle.getOrDefault(vm, 0L)) {
      return; // a start or migration it asked for is still landing: the engine waits for it
    }
    List<Node> online =
        nodes.stream().filter(n -> seen.get(n.name()).state() == ResourceState.ONLINE).toList();
    // Drawn whether or not it is used, so the seed's plan stays the same.
    int dice = disrupt ? engine.nextInt(100) : 100 + engine.nextInt(100);
    if (online.isEmpty()) {
      Node target = nodes.get(engine.nextInt(nodes.size()));
      act(target, vm, "online", () -> target.agent().online(spec(vm, target)), start);
    } else if (online.size() == 1 && dice < 3) {
      Node from = online.get(0);
      EntryResult off = act(from, vm, "offline", () -> from.agent().offline(spec(vm, from)), start);
      if (off.exec() != ExecStatus.DONE && monitor(from, vm).state() != ResourceState.UNKNOWN) {
        act(
            from,
            vm,
            "clean",
            () -> from.agent().clean(spec(vm, from), CleanReason.UNEXPECTED_OFFLINE),
            start);
      }
    } else if (online.size() == 1 && dice < 6) {
      Node from = online.get(0);
      Node to = nodes.stream().filter(n -> n != from).findFirst().orElseThrow();
      act(
          from,
          vm,
          "migrate",
          () -> from.agent().migrate(spec(vm, from), new MigrationTarget(to.name(), to.host())),
          start);
    }
  }

  /** Until when the engine leaves a VM alone after acting on it (its boot or migration lands). */
  final Map<String, Long> settle = new java.util.concurrent.ConcurrentHashMap<>();

  EntryResult act(
      Node n, String vm, String action, java.util.function.Supplier<EntryResult> call, long start) {
    long from = System.currentTimeMillis();
    Ask ask = new Ask(n.name(), vm, action, from, Long.MAX_VALUE);
    asks.add(ask);
    EntryResult r = call.get();
    asks.remove(ask);
    asks.add(new Ask(n.name(), vm, action, from, System.currentTimeMillis()));
    settle.put(vm, System.currentTimeMillis() + 2000);
    log.add(
        (from - start)
            + " ms "
            + n.name()
            + " "
            + action
            + " "
            + vm
            + ": "
            + r.exec()
            + " "
            + r.reason());
    return r;
  }
}
