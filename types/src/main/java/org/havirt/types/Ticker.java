package org.havirt.types;

/**
 * A source of monotonic nanoseconds, injected wherever time decides behaviour so tests can drive it
 * by hand. Implementations must be safe for concurrent use.
 */
@FunctionalInterface
public interface Ticker {
  /** The system's monotonic clock. */
  Ticker SYSTEM = System::nanoTime;

  /** Returns nanoseconds from an arbitrary fixed origin; only differences are meaningful. */
  long nanoTime();
}
