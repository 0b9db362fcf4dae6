package org.havirt.types;

import java.time.Duration;
import java.util.Objects;

/**
 * The moment by which a backend call must return. Every call to libvirt or RHEV-M takes one, so one
 * hung VM or daemon never delays anything past its own budget. Immutable and thread-safe.
 */
public final class Deadline {
  private final Ticker ticker;
  private final long expiresAtNanos;

  private Deadline(Ticker ticker, long expiresAtNanos) {
    this.ticker = ticker;
    this.expiresAtNanos = expiresAtNanos;
  }

  /** Returns a deadline {@code budget} from now on the system ticker. */
  public static Deadline in(Duration budget) {
    return in(budget, Ticker.SYSTEM);
  }

  /** Returns a deadline {@code budget} from now on {@code ticker}. */
  public static Deadline in(Duration budget, Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    long now = ticker.nanoTime();
    long nanos = budget.isNegative() ? 0 : saturatedNanos(budget);
    long at = now + nanos;
    return new Deadline(ticker, at < now ? Long.MAX_VALUE : at);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException overflow) {
      return Long.MAX_VALUE;
    }
  }

  /** Returns the time left, never negative. */
  public Duration remaining() {
    long left = expiresAtNanos - ticker.nanoTime();
    return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
  }

  public boolean isExpired() {
    return expiresAtNanos - ticker.nanoTime() <= 0;
  }

  /** Returns the earlier of this deadline and one {@code budget} from now. */
  public Deadline atMost(Duration budget) {
    Deadline other = in(budget, ticker);
    return other.expiresAtNanos - expiresAtNanos < 0 ? other : this;
  }

  @Override
  public String toString() {
    return "Deadline[remaining=" + remaining().toMillis() + "ms]";
  }
}
