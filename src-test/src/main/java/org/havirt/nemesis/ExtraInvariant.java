package org.havirt.nemesis;

import java.util.Optional;

/**
 * An invariant a backend adds to the observer's own (e.g. a guest's shared XML only moves forward).
 * Contract: {@link #check} is called by the observer's thread about every 200 ms and returns
 * quickly; it returns the violation's text, or empty.
 */
public interface ExtraInvariant {
  /** The invariant's name as a violation prints it. */
  String name();

  /** Checks once; a present value is a violation. */
  Optional<String> check();
}
