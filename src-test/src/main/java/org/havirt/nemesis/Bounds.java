package org.havirt.nemesis;

import java.time.Duration;

/**
 * The time bounds of the timing-based invariants, with why each is what it is. They must hold on a
 * loaded 2-core machine: a bound that is too tight is a flaky test, not a finding.
 */
public final class Bounds {
  private Bounds() {}

  /**
   * A published OFFLINE/FAULTED (ONLINE) is false only if the guest ran (did not run) on that node
   * for this long before it arrived. The agent learns a change from a libvirt event or its qemu
   * watch within milliseconds; its safety-net monitor runs every 5 s (the campaign's
   * MonitorInterval); 10 s is two monitor intervals, and the agent's monitor never answers from a
   * state older than its own call.
   */
  public static final Duration PUBLISH = Duration.ofSeconds(10);

  /**
   * How long an agent may keep publishing a state the truth contradicts (ONLINE while not running
   * there, OFFLINE while running), counted only while the agent, its hypervisor and the observer's
   * subscription are all up and no fault is healing there: three monitor intervals.
   */
  public static final Duration PROPAGATE = Duration.ofSeconds(15);

  /**
   * Two copies of a guest count once both have been seen for this long: libvirt writes a migrating
   * guest's status file on each side asynchronously, so one sample may see the source's file still
   * "running" after the target resumed. A real double start lasts far longer.
   */
  public static final Duration TWO_COPIES = Duration.ofSeconds(1);

  /**
   * After the last fault of a schedule heals, every resource must reach its true state (every agent
   * publishing what runs where, none UNKNOWN) and the engine's goal (the guest running once, or
   * nowhere) within this. Worst path: an agent restart (JVM start, about 2-5 s loaded), its first
   * probe, the engine's failover (clear, start elsewhere, 0.5 s retry period) and the libvirt
   * reconnect (immediate on the socket's return, else backoff capped at 30 s).
   */
  public static final Duration SETTLE = Duration.ofSeconds(60);

  /** A new connection must be answered ({@code hello}) within this while the agent is up. */
  public static final Duration ACCEPT = Duration.ofSeconds(10);

  /**
   * An engine request's deadline: its entry point's timeout (the campaign's resources use 30 s,
   * MigrateTimeout 60 s), plus one other entry point of the same resource that may run first (entry
   * points of one resource queue), plus 20 s for a loaded machine.
   */
  public static Duration deadline(String op) {
    return switch (op) {
      case "migrate" -> Duration.ofSeconds(60 + 30 + 20);
      case "online", "offline", "clean" -> Duration.ofSeconds(30 + 30 + 20);
      default -> Duration.ofSeconds(10 + 30 + 20);
    };
  }
}
