package org.havirt.agent.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps systemd's watchdog ({@code WatchdogSec=}) fed only while the agent can still do its work:
 * at each {@link #tick}, it sends WATCHDOG=1 only if the agent loop has run every heartbeat posted
 * to it so far and the engine socket's accept thread is alive and not stuck. Otherwise it sends
 * nothing and logs why; once pings have been missing for WatchdogSec, systemd kills the agent and
 * {@code Restart=} starts a fresh one (which changes no VM). A loop that was only slow catches up,
 * and the pings resume.
 *
 * <p>Ticks come every WatchdogSec/4 ({@link #start}); a heartbeat posted at one tick must have run
 * two ticks later. The last ping before a stall then came at most a quarter of WatchdogSec after
 * the stall began, so a loop blocked for about WatchdogSec (not half of it, as when each heartbeat
 * had one tick) gets the agent restarted. {@link #tick} is the whole rule and tests call it by
 * hand. Thread-safe: ticks are serialised.
 */
final class SystemdWatchdog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SystemdWatchdog.class);

  /** What the watchdog checks in the running agent. */
  interface Probe {
    /** Queues {@code answered} to run on the agent loop. */
    void heartbeat(Runnable answered);

    /** Returns why the engine socket cannot accept, or empty if it can. */
    Optional<String> acceptProblem();
  }

  /** Sends one notification to systemd. */
  interface Sender {
    void send(String state) throws IOException;
  }

  private final Probe probe;
  private final Sender sender;
  private final AtomicLong answered = new AtomicLong();
  private long posted;
  private String failing;
  private ScheduledThreadPoolExecutor ticker;

  SystemdWatchdog(Probe probe, Sender sender) {
    this.probe = probe;
    this.sender = sender;
  }

  /**
   * Returns how often to ping, WatchdogSec/4, if systemd armed a watchdog for this process: {@code
   * WATCHDOG_USEC} set and positive, and {@code WATCHDOG_PID} absent or this {@code pid}.
   */
  static Optional<Duration> interval(Map<String, String> env, long pid) {
    String usec = env.get("WATCHDOG_USEC");
    if (usec == null) {
      return Optional.empty();
    }
    String forPid = env.get("WATCHDOG_PID");
    if (forPid != null && !forPid.equals(Long.toString(pid))) {
      return Optional.empty(); // armed for another process (we are a child of the main one)
    }
    long us;
    try {
      us = Long.parseLong(usec.strip());
    } catch (NumberFormatException e) {
      log.warn("WATCHDOG_USEC is not a number; no watchdog pings value={}", usec);
      return Optional.empty();
    }
    return us > 0 ? Optional.of(Duration.ofNanos(us * 1000 / 4)) : Optional.empty();
  }

  /** Checks the agent, pings systemd if it is well, and posts the next heartbeat. */
  synchronized void tick() {
    String problem = null;
    // The heartbeat posted at the previous tick may still be on its way (a busy loop); the one
    // before it must have run.
    if (answered.get() < posted - 1) {
      problem =
          "the agent loop has not run a heartbeat for "
              + (posted - answered.get())
              + " tick(s); it is blocked";
    } else {
      problem = probe.acceptProblem().orElse(null);
    }
    if (problem == null) {
      if (failing != null) {
        log.info("agent is well again; systemd watchdog pings resume");
        failing = null;
      }
      try {
        sender.send("WATCHDOG=1");
      } catch (IOException e) {
        log.warn("systemd watchdog ping failed err={}", e.getMessage());
      }
    } else if (!problem.equals(failing)) {
      log.error(
          "not pinging systemd's watchdog: {}; systemd restarts the agent if this lasts"
              + " WatchdogSec",
          problem);
      failing = problem;
    }
    long seq = ++posted;
    probe.heartbeat(() -> answered.accumulateAndGet(seq, Math::max));
  }

  /** Ticks every {@code interval} on a daemon thread of its own, the first tick at once. */
  synchronized void start(Duration interval) {
    ticker =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "havirt-systemd-watchdog");
              t.setDaemon(true);
              return t;
            });
    ticker.scheduleAtFixedRate(this::tickSafely, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    log.info(
        "systemd watchdog armed; pinging every {} ms while the agent is well", interval.toMillis());
  }

  private void tickSafely() {
    try {
      tick();
    } catch (RuntimeException e) {
      // A fixed-rate task that throws is never run again: that would get a well agent killed.
      log.error("systemd watchdog tick failed", e);
    }
  }

  /** Stops pinging (the agent is stopping). */
  @Override
  public synchronized void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }
}
