package org.havirt.nemesis;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Judges each published state against the truth: {@code no-false-fault} (OFFLINE or FAULTED while
 * the guest runs there) and {@code no-false-online} (ONLINE while it does not). Contract: a state
 * is judged once the truth has been sampled after it arrived (300 ms later), and is false only if
 * the guest ran (did not run) there for {@link Bounds#PUBLISH} before it arrived and still does,
 * the same uninterrupted run, at that later sample (the last sample before the arrival may be up to
 * a tick older than the agent's own look).
 *
 * <p>Thread-safe: states arrive from the subscription thread and are judged on the observer's
 * sampling thread; the queue is guarded by itself, the truth's maps are concurrent.
 */
final class PublishJudge {
  private final Map<Place, Instant> runsSince;
  private final Map<Place, Instant> offSince;
  private final BiConsumer<String, String> violate;
  private final List<Pub> pubs = new ArrayList<>();

  /**
   * {@code runsSince} and {@code offSince}: since when the truth has said the guest runs (is off)
   * at each place, kept up to date by the observer (concurrent maps); {@code violate} receives an
   * invariant's name and what broke it.
   */
  PublishJudge(
      Map<Place, Instant> runsSince,
      Map<Place, Instant> offSince,
      BiConsumer<String, String> violate) {
    this.runsSince = runsSince;
    this.offSince = offSince;
    this.violate = violate;
  }

  /** A published state waiting for a truth sample taken after it arrived. */
  private record Pub(Place place, Published state, Instant runs, Instant off) {}

  /** A state the agent of {@code p} published, to judge later. */
  void published(Place p, Published now) {
    synchronized (pubs) {
      pubs.add(new Pub(p, now, runsSince.get(p), offSince.get(p)));
    }
  }

  /** Judges the states that arrived long enough before {@code now}. */
  void judge(Instant now) {
    List<Pub> due = new ArrayList<>();
    synchronized (pubs) {
      var it = pubs.iterator();
      while (it.hasNext()) {
        Pub x = it.next();
        if (x.state().at().isBefore(now.minusMillis(300))) {
          due.add(x);
          it.remove();
        }
      }
    }
    for (Pub x : due) {
      Place p = x.place();
      Published st = x.state();
      Instant cutoff = st.at().minus(Bounds.PUBLISH);
      if ((st.offline() || st.faulted())
          && x.runs() != null
          && x.runs().isBefore(cutoff)
          && x.runs().equals(runsSince.get(p))) {
        violate.accept(
            "no-false-fault",
            p
                + " published "
                + st.state()
                + " flag="
                + st.flag()
                + " while the guest has run there since "
                + x.runs()
                + " and still does");
      }
      if (st.online()
          && x.off() != null
          && x.off().isBefore(cutoff)
          && x.off().equals(offSince.get(p))) {
        violate.accept(
            "no-false-online",
            p
                + " published ONLINE while the guest has not run there since "
                + x.off()
                + " and still does not");
      }
    }
  }
}
