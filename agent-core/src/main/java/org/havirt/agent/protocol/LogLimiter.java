package org.havirt.agent.protocol;

import java.time.Duration;
import org.havirt.types.Ticker;

/**
 * Lets a repeated warning through at most once per period, and says how many were held back since,
 * so a client that hammers the socket cannot flood the log. Thread-safe.
 */
final class LogLimiter {
  private final Ticker ticker;
  private final long periodNanos;
  private final Object lock = new Object();
  private long held;
  private boolean logged;
  private long lastNanos;

  LogLimiter(Ticker ticker, Duration period) {
    this.ticker = ticker;
    this.periodNanos = period.toNanos();
  }

  /**
   * Returns -1 if this occurrence is not to be logged, else how many occurrences were held back
   * since the last one logged.
   */
  long permit() {
    synchronized (lock) {
      long now = ticker.nanoTime();
      if (logged && now - lastNanos < periodNanos) {
        held++;
        return -1;
      }
      logged = true;
      lastNanos = now;
      long h = held;
      held = 0;
      return h;
    }
  }
}
