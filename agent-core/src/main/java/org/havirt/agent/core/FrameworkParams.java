package org.havirt.agent.core;

import java.time.Duration;
import org.havirt.types.EntryPoint;
import org.havirt.types.backend.GuestSpec;

/**
 * The agent-framework attributes of one resource (spec §5), read from its resolved values (which
 * hold the framework defaults, the type's and the resource's overrides).
 */
public record FrameworkParams(
    Duration monitorInterval,
    Duration offlineMonitorInterval,
    int onlineWaitLimit,
    int offlineWaitLimit,
    int onlineRetryLimit,
    int toleranceLimit,
    int restartLimit,
    Duration confInterval,
    int faultOnMonitorTimeouts,
    int cleanRetryLimit,
    boolean intentionalOffline) {

  public static FrameworkParams of(GuestSpec g) {
    return new FrameworkParams(
        seconds(g, "MonitorInterval", 60),
        seconds(g, "OfflineMonitorInterval", 300),
        (int) g.integer("OnlineWaitLimit").orElse(2),
        (int) g.integer("OfflineWaitLimit").orElse(0),
        (int) g.integer("OnlineRetryLimit").orElse(0),
        (int) g.integer("ToleranceLimit").orElse(0),
        (int) g.integer("RestartLimit").orElse(0),
        seconds(g, "ConfInterval", 600),
        (int) g.integer("FaultOnMonitorTimeouts").orElse(4),
        (int) g.integer("CleanRetryLimit").orElse(0),
        g.integer("IntentionalOffline").orElse(0) == 1);
  }

  private static Duration seconds(GuestSpec g, String attr, long dflt) {
    return Duration.ofSeconds(Math.max(1, g.integer(attr).orElse(dflt)));
  }

  /** Returns the timeout of {@code ep} for {@code g}. */
  public static Duration timeout(GuestSpec g, EntryPoint ep) {
    return Duration.ofSeconds(Math.max(1, g.integer(ep.timeoutAttribute()).orElse(60)));
  }
}
