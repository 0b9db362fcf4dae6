package org.havirt.types.state;

import org.havirt.types.MonitorResult;

/** Maps a neutral VM state to the resource state and confidence the engine sees (spec §4). */
public final class VmStateTable {
  private VmStateTable() {}

  /** Returns the monitor result for {@code status}; the reason names the backend's own words. */
  public static MonitorResult toMonitorResult(String backend, VmStatus status, StatePolicy policy) {
    String reason =
        backend + ": " + status.native_() + status.host().map(h -> " on " + h).orElse("");
    return switch (status.state()) {
        // Fully up: the only state worth full confidence.
      case RUNNING -> MonitorResult.online(100, reason);
        // Booting (RHEV powering_up): on its way up, more likely than not to succeed.
      case POWERING_UP -> MonitorResult.online(60, reason);
        // Coming back from a saved image: here, but not yet serving.
      case RESTORING -> MonitorResult.online(50, reason);
        // Shutting down but still holding its resources: still ONLINE so nothing starts it twice.
      case POWERING_DOWN -> MonitorResult.online(40, reason);
        // Paused by someone: present and restartable by resume, but not serving.
      case PAUSED -> MonitorResult.online(20, reason);
        // Just launched or arriving by migration: present, least confidence.
      case LAUNCHING -> MonitorResult.online(10, reason);
        // Storage failed under the guest. VCS keeps it ONLINE forever (a known complaint); by
        // default we report OFFLINE so the engine moves it to a host that can see its disks.
      case PAUSED_IO_ERROR ->
          policy.failoverOnIoError()
              ? MonitorResult.offline(reason + ", failing over (FailoverOnIOError=1)")
              : MonitorResult.online(20, reason + ", kept online (FailoverOnIOError=0)");
        // Defined, not running, nobody meant it: a real offline.
      case DOWN -> MonitorResult.offline(reason);
        // A crash is an offline the engine must react to.
      case CRASHED -> MonitorResult.offline(reason);
        // Nothing here: offline (a guest that migrated away is MIGRATED_AWAY, not this).
      case NOT_DEFINED -> MonitorResult.offline(reason);
        // Put away on purpose (save, suspend): never a fault.
      case SUSPENDED -> MonitorResult.intentionalOffline(reason);
        // Leaving by migration: the target reports ONLINE, we must not look like a failure.
      case MIGRATING -> MonitorResult.intentionalOffline(reason);
        // Gone by migration: the source side of a successful migration.
      case MIGRATED_AWAY -> MonitorResult.intentionalOffline(reason);
        // Running on another host: not ours to run, and not a failure here.
      case RUNNING_ELSEWHERE -> MonitorResult.intentionalOffline(reason);
        // A managed reboot passes through down; reporting offline would trigger a false failover.
      case REBOOTING -> MonitorResult.intentionalOffline(reason);
        // The manager holds a lock; the state behind it is unreadable for now.
      case LOCKED -> MonitorResult.unknown(reason);
        // Cannot tell: UNKNOWN, which the framework never acts on.
      case UNKNOWN -> MonitorResult.unknown(reason);
    };
  }
}
