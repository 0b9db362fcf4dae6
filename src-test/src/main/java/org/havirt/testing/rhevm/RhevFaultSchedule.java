package org.havirt.testing.rhevm;

import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The RHEV half of a nemesis's fault schedule: seeded episodes, each one fault kind on one target
 * for a bounded time, applied to a simulator and healed. The same seed gives the same episodes in
 * the same order (kinds, targets, durations, rates), whatever the agents do. Not thread-safe: one
 * scheduler thread draws, applies and heals.
 */
public final class RhevFaultSchedule {
  /** The RHEV fault kinds a campaign injects. */
  public enum Kind {
    /** Every request delayed by up to {@link #MAX_LATENCY_MILLIS}. */
    API_LATENCY,
    /** A share of requests answered 503. */
    API_5XX,
    /** A share of requests answered 200 with garbage ({@link SimFaults.Garbage}). */
    API_GARBAGE,
    /** A share of connections dropped mid-response. */
    API_DROP,
    /** A share of requests find every token revoked. */
    TOKEN_REVOKE,
    /** A host is cut off from the engine; its VMs go on running (unknown to the engine). */
    HOST_PARTITION,
    /** A host crashes and its power management fences it: its VMs are down, it reboots. */
    HOST_POWER_FENCE,
    /** A VM dies by itself (the engine has it down). */
    VM_CRASH
  }

  /**
   * The latency bound of API_LATENCY, per request: 1.5 s. A monitor makes at most three requests (a
   * login after a revoked token, the VM listing, the host list), 4.5 s in all, inside the nemesis
   * campaign's MonitorTimeout of 10 s even on a loaded machine; RhevNemesisIT's 3 s may time out,
   * which is UNKNOWN and allowed there.
   */
  public static final long MAX_LATENCY_MILLIS = 1500;

  /** One fault: its kind, target (host or VM name, empty for API faults), and how long it lasts. */
  public record Episode(Kind kind, String target, long durationMillis, double rate) {
    /** A line for the campaign's log. */
    public String describe() {
      return kind.name().toLowerCase(Locale.ROOT)
          + (target.isEmpty() ? "" : " " + target)
          + (rate > 0 ? String.format(Locale.ROOT, " rate %.2f", rate) : "")
          + " for "
          + durationMillis
          + " ms";
    }
  }

  private final Random random;
  private final RhevmSimulator sim;
  private final List<String> hosts;
  private final List<String> vms;
  private final long maxDurationMillis;

  /**
   * @param hosts the hosts that may be partitioned or fenced (the nodes' hosts)
   * @param vms the VMs that may crash
   * @param maxDurationMillis the longest episode
   */
  public RhevFaultSchedule(
      long seed, RhevmSimulator sim, List<String> hosts, List<String> vms, long maxDurationMillis) {
    this.random = new Random(seed);
    this.sim = sim;
    this.hosts = List.copyOf(hosts);
    this.vms = List.copyOf(vms);
    this.maxDurationMillis = maxDurationMillis;
    sim.faults = new SimFaults(random.nextLong());
  }

  /** Draws the next episode. */
  public Episode next() {
    Kind k = Kind.values()[random.nextInt(Kind.values().length)];
    long duration = 1000 + (long) (random.nextDouble() * Math.max(0, maxDurationMillis - 1000));
    double rate = 0.2 + 0.6 * random.nextDouble();
    return switch (k) {
        // API faults: the whole API, a share of requests.
      case API_5XX, API_GARBAGE, API_DROP, TOKEN_REVOKE -> new Episode(k, "", duration, rate);
        // Latency: every request, bounded.
      case API_LATENCY -> new Episode(k, "", duration, 0);
        // Host faults: one of the nodes' hosts.
      case HOST_PARTITION, HOST_POWER_FENCE ->
          new Episode(k, hosts.get(random.nextInt(hosts.size())), duration, 0);
        // A VM dies: instantaneous.
      case VM_CRASH -> new Episode(k, vms.get(random.nextInt(vms.size())), 0, 0);
    };
  }

  /** Injects {@code e}. */
  public void apply(Episode e) {
    SimFaults f = sim.faults;
    switch (e.kind()) {
        // Each request delayed, bounded.
      case API_LATENCY -> f.maxLatencyMillis = MAX_LATENCY_MILLIS;
        // A share of requests fail one way or another.
      case API_5XX -> f.p5xx = e.rate();
      case API_GARBAGE -> f.pGarbage = e.rate();
      case API_DROP -> f.pDrop = e.rate();
      case TOKEN_REVOKE -> f.pRevoke = e.rate();
        // The engine loses the host; the VMs do not die.
      case HOST_PARTITION -> sim.model.partitionHost(host(e));
        // The host dies and is fenced; it comes back by itself.
      case HOST_POWER_FENCE -> sim.model.powerFenceHost(host(e));
        // The VM dies.
      case VM_CRASH -> sim.model.vmByName(e.target()).ifPresent(sim.model::crashVm);
    }
  }

  /** Ends {@code e}: API faults are disarmed, a partitioned host answers again. */
  public void heal(Episode e) {
    switch (e.kind()) {
        // Disarm all API faults (episodes do not overlap).
      case API_LATENCY, API_5XX, API_GARBAGE, API_DROP, TOKEN_REVOKE -> sim.faults.heal();
        // The host answers again; its VMs are up as they were.
      case HOST_PARTITION -> sim.model.healHost(host(e));
        // Healed by itself: the host reboots to up on the simulator's clock.
      case HOST_POWER_FENCE -> {}
        // Instantaneous.
      case VM_CRASH -> {}
    }
  }

  private SimModel.Host host(Episode e) {
    return sim.model
        .hostByName(e.target())
        .orElseThrow(() -> new IllegalArgumentException("no host " + e.target()));
  }
}
