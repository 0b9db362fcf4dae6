package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The watchdog's rule (issue 14, point 4): WATCHDOG=1 only while the agent loop runs its heartbeats
 * and the accept thread can accept. The loop here is a queue the test runs, or not (a hung loop),
 * and each tick is called by hand.
 */
class SystemdWatchdogTest {
  final Deque<Runnable> loop = new ArrayDeque<>();
  final List<String> sent = new ArrayList<>();
  Optional<String> acceptProblem = Optional.empty();

  final SystemdWatchdog watchdog =
      new SystemdWatchdog(
          new SystemdWatchdog.Probe() {
            @Override
            public void heartbeat(Runnable answered) {
              loop.add(answered);
            }

            @Override
            public Optional<String> acceptProblem() {
              return acceptProblem;
            }
          },
          sent::add);

  /** The agent loop runs what was posted to it. */
  void loopRuns() {
    while (!loop.isEmpty()) {
      loop.poll().run();
    }
  }

  @Test
  void aWellAgentPingsAtEveryTick() {
    for (int i = 0; i < 3; i++) {
      watchdog.tick();
      loopRuns();
    }
    assertThat(sent).containsExactly("WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1");
  }

  @Test
  void aHungLoopGetsNoPingAndASlowOneThatCatchesUpPingsAgain() {
    watchdog.tick();
    loopRuns();
    watchdog.tick(); // posts a heartbeat the loop never runs: it is blocked
    watchdog.tick();
    watchdog.tick();
    watchdog.tick();
    // The second and third ticks still ping (a heartbeat may take a tick to run); from the
    // fourth on, the one the second posted is overdue.
    assertThat(sent).as("no ping once a heartbeat is overdue").hasSize(3);

    loopRuns(); // the loop was only slow: it runs every heartbeat it owed
    watchdog.tick();
    assertThat(sent).hasSize(4);
  }

  @Test
  void aLoopOneTickBehindIsStillWell() {
    // A busy loop that runs each heartbeat a tick late is pinged for: with a tick of WatchdogSec/4,
    // only a loop stalled for about WatchdogSec misses systemd's deadline.
    for (int i = 0; i < 4; i++) {
      Deque<Runnable> earlier = new ArrayDeque<>(loop);
      loop.clear();
      watchdog.tick();
      earlier.forEach(Runnable::run);
    }
    assertThat(sent).hasSize(4);
  }

  @Test
  void aDeadAcceptThreadGetsNoPing() {
    watchdog.tick();
    loopRuns();
    acceptProblem = Optional.of("the engine socket's accept thread has ended");
    watchdog.tick();
    loopRuns();
    watchdog.tick();
    loopRuns();
    assertThat(sent).containsExactly("WATCHDOG=1");
  }

  @Test
  void aFailingSendDoesNotStopLaterPings() {
    List<String> ok = new ArrayList<>();
    int[] calls = {0};
    SystemdWatchdog w =
        new SystemdWatchdog(
            new SystemdWatchdog.Probe() {
              @Override
              public void heartbeat(Runnable answered) {
                answered.run();
              }

              @Override
              public Optional<String> acceptProblem() {
                return Optional.empty();
              }
            },
            s -> {
              if (calls[0]++ == 0) {
                throw new java.io.IOException("ECONNREFUSED");
              }
              ok.add(s);
            });
    w.tick();
    w.tick();
    assertThat(ok).containsExactly("WATCHDOG=1");
  }

  @Test
  void theIntervalIsAQuarterOfWatchdogSecAndOnlyForThisProcess() {
    assertThat(SystemdWatchdog.interval(Map.of("WATCHDOG_USEC", "30000000"), 42))
        .contains(Duration.ofMillis(7500));
    assertThat(
            SystemdWatchdog.interval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42))
        .contains(Duration.ofMillis(7500));
    assertThat(
            SystemdWatchdog.interval(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42))
        .isEmpty();
    assertThat(SystemdWatchdog.interval(Map.of(), 42)).isEmpty();
    assertThat(SystemdWatchdog.interval(Map.of("WATCHDOG_USEC", "0"), 42)).isEmpty();
    assertThat(SystemdWatchdog.interval(Map.of("WATCHDOG_USEC", "x"), 42)).isEmpty();
  }
}
