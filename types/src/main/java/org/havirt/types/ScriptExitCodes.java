package org.havirt.types;

/**
 * The exit codes of VCS script entry points (spec §5), in both directions.
 *
 * <p>Monitor: 99 UNKNOWN, 100 OFFLINE, 101–110 ONLINE with confidence 10–100, 200 INTENTIONAL
 * OFFLINE; any other code is UNKNOWN. Online and offline exit with the seconds to wait before the
 * next monitor; clean exits 0 on success; migrate exits 0–100, the framework waiting ten seconds
 * per unit before it monitors.
 */
public final class ScriptExitCodes {
  public static final int MONITOR_UNKNOWN = 99;
  public static final int MONITOR_OFFLINE = 100;
  public static final int MONITOR_ONLINE_MIN = 101;
  public static final int MONITOR_ONLINE_MAX = 110;
  public static final int MONITOR_INTENTIONAL_OFFLINE = 200;
  public static final int CLEAN_SUCCESS = 0;
  public static final int CLEAN_FAILURE = 1;
  public static final int MIGRATE_MAX = 100;

  /** Exit codes are one byte: the largest wait an online or offline script can report. */
  public static final int MAX_WAIT_SECONDS = 255;

  private ScriptExitCodes() {}

  /**
   * Returns the monitor exit code for a result. Confidence is rounded up to the next ten, so any
   * ONLINE result, however unsure, stays ONLINE (101 at least).
   */
  public static int monitorCode(MonitorResult result) {
    return switch (result.state()) {
        // 101 = confidence 10 … 110 = confidence 100.
      case ONLINE -> MONITOR_OFFLINE + (result.confidence() + 9) / 10;
        // 100 is the only offline code.
      case OFFLINE -> MONITOR_OFFLINE;
        // 200 needs IntentionalOffline = 1 on the type; KVMGuest ships with it.
      case INTENTIONAL_OFFLINE -> MONITOR_INTENTIONAL_OFFLINE;
        // 99 tells the engine we could not tell; it must not act on it.
      case UNKNOWN -> MONITOR_UNKNOWN;
    };
  }

  /** Returns the result a script's monitor exit code stands for; unrecognised codes are UNKNOWN. */
  public static MonitorResult fromMonitorCode(int code, String reason) {
    if (code >= MONITOR_ONLINE_MIN && code <= MONITOR_ONLINE_MAX) {
      return MonitorResult.online((code - MONITOR_OFFLINE) * 10, reason);
    }
    if (code == MONITOR_OFFLINE) {
      return MonitorResult.offline(reason);
    }
    if (code == MONITOR_INTENTIONAL_OFFLINE) {
      return MonitorResult.intentionalOffline(reason);
    }
    if (code == MONITOR_UNKNOWN) {
      return MonitorResult.unknown(reason);
    }
    return MonitorResult.unknown("unrecognised monitor exit code " + code + ": " + reason);
  }

  /** Returns the exit code of an online or offline script that asks for {@code seconds} of wait. */
  public static int waitCode(long seconds) {
    return (int) Math.max(0, Math.min(MAX_WAIT_SECONDS, seconds));
  }

  /**
   * Returns the migrate exit code asking the framework to wait {@code seconds} before monitoring.
   */
  public static int migrateCode(long seconds) {
    return (int) Math.max(0, Math.min(MIGRATE_MAX, (seconds + 9) / 10));
  }
}
