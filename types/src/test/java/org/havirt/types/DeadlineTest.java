package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeadlineTest {
  @Test
  void expiresOnTheInjectedTicker() {
    AtomicLong now = new AtomicLong(1_000);
    Deadline d = Deadline.in(Duration.ofSeconds(2), now::get);
    assertThat(d.isExpired()).isFalse();
    assertThat(d.remaining()).isEqualTo(Duration.ofSeconds(2));
    now.addAndGet(Duration.ofMillis(1500).toNanos());
    assertThat(d.remaining()).isEqualTo(Duration.ofMillis(500));
    assertThat(d.atMost(Duration.ofMillis(100)).remaining()).isEqualTo(Duration.ofMillis(100));
    assertThat(d.atMost(Duration.ofSeconds(10))).isSameAs(d);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(d.isExpired()).isTrue();
    assertThat(d.remaining()).isEqualTo(Duration.ZERO);
  }

  @Test
  void hugeBudgetsDoNotOverflow() {
    Deadline d = Deadline.in(Duration.ofDays(365 * 1000L), () -> Long.MAX_VALUE - 10);
    assertThat(d.isExpired()).isFalse();
  }
}
