package org.havirt.nemesis;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Judges {@code one-copy}: never two running copies of a guest across the nodes of its lane, and
 * never two copies at all (a paused one counts) except the two sides of a migration under way.
 * Contract: two copies are a violation once both have been seen for {@link Bounds#TWO_COPIES}
 * (libvirt writes a migrating guest's status files asynchronously).
 *
 * <p>Not thread-safe: only the observer's sampling thread calls it.
 */
final class OneCopyJudge {
  private final World world;
  private final Excuses excuses;
  private final Function<Place, Copy> truth;
  private final BiConsumer<String, String> violate;
  private final Map<String, Instant> twoSince = new HashMap<>();

  /** {@code truth}: the truth of a place now; {@code violate}: an invariant's name and text. */
  OneCopyJudge(
      World world,
      Excuses excuses,
      Function<Place, Copy> truth,
      BiConsumer<String, String> violate) {
    this.world = world;
    this.excuses = excuses;
    this.truth = truth;
    this.violate = violate;
  }

  /** Judges every resource of every lane at the sample of {@code now}. */
  void judge(Instant now) {
    for (Lane l : world.lanes()) {
      for (String r : l.resources()) {
        int running = 0;
        int held = 0;
        for (Place p : l.places(r)) {
          Copy c = truth.apply(p);
          running += c == Copy.RUNNING ? 1 : 0;
          held += c.runs() ? 1 : 0;
        }
        boolean two = running >= 2 || (held >= 2 && !excuses.migrating(r, now));
        String key = l.name() + "/" + r;
        if (!two) {
          twoSince.remove(key);
        } else {
          Instant since = twoSince.computeIfAbsent(key, k -> now);
          if (Duration.between(since, now).compareTo(Bounds.TWO_COPIES) >= 0) {
            violate.accept(
                "one-copy", "two copies of " + r + " in lane " + l.name() + ": " + copies(l, r));
          }
        }
      }
    }
  }

  private String copies(Lane l, String r) {
    StringBuilder sb = new StringBuilder();
    for (Place p : l.places(r)) {
      sb.append(p).append('=').append(truth.apply(p)).append(' ');
    }
    return sb.toString().trim();
  }
}
