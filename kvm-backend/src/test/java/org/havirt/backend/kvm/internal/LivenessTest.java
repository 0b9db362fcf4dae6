package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.junit.jupiter.api.Test;

/** The liveness record behind controlTrouble, driven by a fake clock and a fake probe. */
class LivenessTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  private final Ticker ticker = now::get;
  private final Liveness live = new Liveness(ticker);

  private void at(Duration sinceStart) {
    now.set(1_000_000_000_000L + sinceStart.toNanos());
  }

  private long t() {
    return now.get();
  }

  private static Deadline realSeconds(long s) {
    return Deadline.in(Duration.ofSeconds(s));
  }

  @Test
  void notConnectedYetIsTrouble() {
    assertThat(live.trouble(Duration.ofSeconds(5), realSeconds(1)))
        .hasValueSatisfying(s -> assertThat(s).contains("down").contains("not connected yet"));
  }

  @Test
  void healthyOnlyAfterAFreshProbeAnsweredInTime() throws Exception {
    live.up();
    at(Duration.ofMinutes(2)); // the connection's down time is long past any window
    CompletableFuture<Optional<String>> answer =
        CompletableFuture.supplyAsync(() -> live.trouble(Duration.ofSeconds(5), realSeconds(10)));
    // The question has read the clock and waits: no probe started after it.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (live.waiting() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(live.waiting()).isEqualTo(1);
    assertThat(answer.isDone()).isFalse();
    at(Duration.ofMinutes(2).plusMillis(100));
    long start = t();
    live.probeStarted(start);
    at(Duration.ofMinutes(2).plusMillis(150));
    live.probeEnded(start, t(), null);
    assertThat(answer.get(10, TimeUnit.SECONDS)).isEmpty();
  }

  @Test
  void aLateProbeIsTroubleWhileItsIntervalOverlapsTheWindow() {
    live.up();
    at(Duration.ofMinutes(2));
    long start = t();
    live.probeStarted(start);
    at(Duration.ofMinutes(2).plusMillis(400));
    // In flight for 400 ms: not late yet, and nothing else to report, so the question waits
    // for a fresh probe; with no time left it must say trouble, never health.
    assertThat(live.trouble(Duration.ofSeconds(5), Deadline.in(Duration.ZERO)))
        .hasValueSatisfying(s -> assertThat(s).contains("no fresh liveness answer"));
    at(Duration.ofMinutes(2).plusMillis(900));
    assertThat(live.trouble(Duration.ofSeconds(5), realSeconds(1)))
        .hasValueSatisfying(
            s -> assertThat(s).contains("has not answered a liveness probe for 900 ms"));
    at(Duration.ofMinutes(2).plusMillis(3500));
    live.probeEnded(start, t(), null);
    at(Duration.ofMinutes(2).plusSeconds(6));
    // The late interval (0.5 s .. 3.5 s after the probe started) overlaps the last 5 s.
    assertThat(live.trouble(Duration.ofSeconds(5), realSeconds(1)))
        .hasValueSatisfying(s -> assertThat(s).contains("answered a liveness probe after 3500 ms"));
    // The last 2 s do not reach back to it: only a fresh probe can say "healthy" now.
    assertThat(live.trouble(Duration.ofSeconds(2), Deadline.in(Duration.ZERO)))
        .hasValueSatisfying(s -> assertThat(s).contains("no fresh liveness answer"));
  }

  @Test
  void aDownIntervalIsTroubleForWindowsThatReachIt() {
    live.up();
    at(Duration.ofMinutes(2));
    live.down("connection closed (EOF)");
    assertThat(live.trouble(Duration.ofSeconds(1), realSeconds(1)))
        .hasValueSatisfying(s -> assertThat(s).contains("down").contains("EOF"));
    at(Duration.ofMinutes(2).plusSeconds(3));
    live.up();
    at(Duration.ofMinutes(2).plusSeconds(10));
    assertThat(live.trouble(Duration.ofSeconds(8), realSeconds(1)))
        .hasValueSatisfying(
            s -> assertThat(s).contains("connection down: connection closed (EOF)"));
    assertThat(live.trouble(Duration.ofSeconds(6), Deadline.in(Duration.ZERO)))
        .hasValueSatisfying(s -> assertThat(s).contains("no fresh liveness answer"));
  }

  @Test
  void aFailedProbeIsTroubleNeverHealth() {
    live.up();
    at(Duration.ofMinutes(2));
    long start = t();
    live.probeStarted(start);
    live.probeEnded(start, start, "internal error: client socket is closed");
    assertThat(live.trouble(Duration.ofSeconds(1), realSeconds(1)))
        .hasValueSatisfying(s -> assertThat(s).contains("liveness probe failed"));
  }
}
