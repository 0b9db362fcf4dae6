package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A replaced connection is closed exactly once, and only after its last call returned. */
class GenerationTest {
  private final AtomicInteger closes = new AtomicInteger();
  private final Generation g = new Generation(null, x -> closes.incrementAndGet());

  @Test
  void retiredWithCallsInFlightClosesAtTheLastRelease() {
    assertThat(g.acquire()).isTrue();
    assertThat(g.acquire()).isTrue();
    g.retire();
    assertThat(closes).hasValue(0);
    assertThat(g.acquire()).as("no new call on a retired connection").isFalse();
    g.release();
    assertThat(closes).hasValue(0);
    g.release();
    assertThat(closes).hasValue(1);
    g.retire();
    assertThat(closes).hasValue(1);
  }

  @Test
  void retiredIdleClosesAtOnceAndOnlyOnce() {
    assertThat(g.acquire()).isTrue();
    g.release();
    assertThat(closes).hasValue(0);
    g.retire();
    g.retire();
    assertThat(closes).hasValue(1);
  }
}
