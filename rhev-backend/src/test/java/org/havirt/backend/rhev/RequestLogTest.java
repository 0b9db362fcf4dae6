package org.havirt.backend.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The rules of {@code controlTrouble} on a hand-driven clock. */
class RequestLogTest {
  static final Duration WINDOW = Duration.ofSeconds(60);
  final AtomicLong now = new AtomicLong(1_000_000_000_000L);
  final RequestLog log = new RequestLog(now::get);

  void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  void request(Duration took, Optional<String> failure) {
    long t = log.begin("GET vms");
    advance(took);
    log.end(t, failure);
  }

  @Test
  void quickAnswersThroughoutAreHealth() {
    request(Duration.ofMillis(200), Optional.empty());
    advance(Duration.ofSeconds(10));
    request(Duration.ofMillis(300), Optional.empty());
    assertThat(log.trouble(WINDOW)).isEmpty();
    assertThat(log.answeredWithin(WINDOW)).isTrue();
  }

  @Test
  void aFailureInTheWindowIsTroubleUntilItLeavesTheWindow() {
    request(Duration.ofMillis(100), Optional.of("RHEV-M at x is unreachable"));
    advance(Duration.ofSeconds(5));
    request(Duration.ofMillis(100), Optional.empty());
    assertThat(log.trouble(WINDOW)).hasValueSatisfying(t -> assertThat(t).contains("unreachable"));
    advance(Duration.ofSeconds(56));
    assertThat(log.trouble(WINDOW)).as("the failure ended 61 s ago").isEmpty();
  }

  @Test
  void aRequestSlowerThanHalfTheWindowIsTrouble() {
    request(Duration.ofSeconds(31), Optional.empty());
    assertThat(log.trouble(WINDOW)).hasValueSatisfying(t -> assertThat(t).contains("took 31.0 s"));
    request(Duration.ofSeconds(29), Optional.empty());
    assertThat(log.trouble(Duration.ofSeconds(120))).as("half of 120 s is 60 s").isEmpty();
  }

  @Test
  void aRequestInFlightPastHalfTheWindowIsTroubleBeforeItEnds() {
    request(Duration.ofMillis(100), Optional.empty());
    long t = log.begin("GET vms");
    advance(Duration.ofSeconds(30));
    assertThat(log.trouble(WINDOW)).as("exactly half: not yet").isEmpty();
    advance(Duration.ofMillis(1));
    assertThat(log.trouble(WINDOW)).hasValueSatisfying(x -> assertThat(x).contains("in flight"));
    log.end(t, Optional.empty());
    assertThat(log.trouble(WINDOW)).as("it then took 30.001 s").isPresent();
  }

  @Test
  void withNoAnswerInTheWindowNothingIsSaidForHealth() {
    assertThat(log.answeredWithin(WINDOW)).as("nothing sent yet").isFalse();
    request(Duration.ofMillis(100), Optional.empty());
    advance(Duration.ofSeconds(61));
    assertThat(log.trouble(WINDOW)).isEmpty();
    assertThat(log.answeredWithin(WINDOW)).isFalse();
    request(Duration.ofMillis(100), Optional.of("HTTP 503"));
    assertThat(log.answeredWithin(WINDOW)).as("a failure is no answer").isFalse();
  }

  @Test
  void onlyTheLastHourIsRemembered() {
    request(Duration.ofMillis(100), Optional.of("HTTP 503"));
    advance(Duration.ofMinutes(61));
    request(Duration.ofMillis(100), Optional.empty());
    assertThat(log.trouble(Duration.ofHours(2))).as("forgotten after an hour").isEmpty();
  }
}
