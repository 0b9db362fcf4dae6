package org.havirt.agent.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.havirt.agent.AgentDaemon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent's side of its systemd unit: READY=1 once the daemon serves its socket
 * (Type=notify), the watchdog pings while it is well (WatchdogSec=), STOPPING=1 when it stops. Does
 * nothing when systemd asked for none of it. Thread-safe.
 */
final class SystemdSupervision {
  private static final Logger log = LoggerFactory.getLogger(SystemdSupervision.class);

  private final Optional<SystemdNotify> notify;
  private final Optional<SystemdWatchdog> watchdog;

  private SystemdSupervision(Optional<SystemdNotify> notify, Optional<SystemdWatchdog> watchdog) {
    this.notify = notify;
    this.watchdog = watchdog;
  }

  /** Tells systemd {@code daemon} is ready and arms the watchdog if systemd asked for them. */
  static SystemdSupervision start(AgentDaemon daemon, Map<String, String> env) {
    Optional<SystemdNotify> notify;
    try {
      notify = SystemdNotify.fromEnvironment(env);
    } catch (IllegalArgumentException e) {
      // systemd then never hears READY=1 and fails the start: the log says why.
      log.error("cannot notify systemd err={}", e.getMessage());
      return new SystemdSupervision(Optional.empty(), Optional.empty());
    }
    if (notify.isEmpty()) {
      return new SystemdSupervision(notify, Optional.empty());
    }
    SystemdNotify n = notify.get();
    try {
      n.send("READY=1\nSTATUS=serving engines, " + daemon.managed() + " configured resource(s)");
      log.info("told systemd the agent is ready socket={}", n.socket());
    } catch (IOException e) {
      log.error("systemd readiness notification failed err={}", e.getMessage());
    }
    Optional<Duration> interval = SystemdWatchdog.interval(env, ProcessHandle.current().pid());
    if (interval.isEmpty()) {
      return new SystemdSupervision(notify, Optional.empty());
    }
    // The accept thread is stuck once it has spent half of WatchdogSec (two ticks) on a single
    // connection.
    Duration stuckAfter = interval.get().multipliedBy(2);
    SystemdWatchdog w =
        new SystemdWatchdog(
            new SystemdWatchdog.Probe() {
              @Override
              public void heartbeat(Runnable answered) {
                daemon.heartbeat(answered);
              }

              @Override
              public Optional<String> acceptProblem() {
                return daemon.acceptProblem(stuckAfter);
              }
            },
            n::send);
    w.start(interval.get());
    return new SystemdSupervision(notify, Optional.of(w));
  }

  /** Stops the watchdog pings and tells systemd the agent is stopping. */
  void stopping() {
    watchdog.ifPresent(SystemdWatchdog::close);
    notify.ifPresent(
        n -> {
          try {
            n.send("STOPPING=1");
          } catch (IOException e) {
            log.warn("systemd stopping notification failed err={}", e.getMessage());
          }
        });
  }
}
