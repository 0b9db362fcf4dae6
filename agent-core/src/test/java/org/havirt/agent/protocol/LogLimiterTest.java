package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
  @Test
  void oneLinePerPeriodSayingHowManyWereHeldBack() {
    AtomicLong now = new AtomicLong(1_000);
    LogLimiter l = new LogLimiter(now::get, Duration.ofSeconds(10));
    assertThat(l.permit()).as("the first is logged").isZero();
    assertThat(l.permit()).isEqualTo(-1);
    now.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(l.permit()).isEqualTo(-1);
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(l.permit()).as("a period later, with the two held back").isEqualTo(2);
    assertThat(l.permit()).isEqualTo(-1);
  }
}
