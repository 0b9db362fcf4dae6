package org.havirt.backend.kvm.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;

/**
 * What the session knows about the health of its control connection: every interval during which it
 * was down or a liveness probe stayed unanswered longer than {@link #LATE}, the probe in flight,
 * and the last probe's outcome. The probe itself runs on the session's own thread; this class only
 * records and answers {@link #trouble}. Thread-safe.
 */
final class Liveness {
  /** A probe unanswered for longer than this means libvirtd is not answering. */
  static final Duration LATE = Duration.ofMillis(500);

  /** Intervals that ended longer ago than this are forgotten (windows are seconds to minutes). */
  private static final Duration HISTORY = Duration.ofHours(1);

  private record Interval(long from, long to, String what) {}

  private final Ticker ticker;

  // guarded by this
  private final Deque<Interval> past = new ArrayDeque<>();
  private long downSince;
  private String downWhy = "not connected yet";
  private boolean down = true;
  private long probeSince;
  private boolean probing;
  private long lastProbeStart;
  private boolean lastProbeOk;
  private String lastProbeTrouble = "no liveness probe answered yet";
  private boolean anyProbe;
  private int waiting;

  Liveness(Ticker ticker) {
    this.ticker = ticker;
    this.downSince = ticker.nanoTime();
  }

  synchronized void down(String why) {
    if (!down) {
      down = true;
      downSince = ticker.nanoTime();
      downWhy = why;
    }
  }

  synchronized void up() {
    if (down) {
      add(downSince, ticker.nanoTime(), "connection down: " + downWhy);
      down = false;
    }
  }

  /**
   * Asks libvirtd for its version over {@code conn}, which the caller holds, and records the
   * answer; returns why it failed, or null. Blocks while libvirtd does not answer.
   */
  String probe(org.libvirt.Connect conn) {
    long start = ticker.nanoTime();
    probeStarted(start);
    String failure = null;
    try {
      conn.getLibVersion();
    } catch (org.libvirt.LibvirtException | RuntimeException e) {
      failure = String.valueOf(e.getMessage());
    }
    probeEnded(start, ticker.nanoTime(), failure);
    return failure;
  }

  synchronized void probeStarted(long at) {
    probing = true;
    probeSince = at;
  }

  /** Records a probe's outcome; {@code failure} is null when libvirtd answered. */
  synchronized void probeEnded(long start, long end, String failure) {
    probing = false;
    long took = end - start;
    if (failure != null) {
      add(start, end, "liveness probe failed: " + failure);
    } else if (took > LATE.toNanos()) {
      add(start + LATE.toNanos(), end, "libvirtd answered a liveness probe after " + ms(took));
    }
    anyProbe = true;
    lastProbeStart = start;
    lastProbeOk = failure == null && took <= LATE.toNanos();
    lastProbeTrouble =
        failure != null
            ? "liveness probe failed: " + failure
            : "libvirtd answered a liveness probe after " + ms(took);
    notifyAll();
  }

  /** Wakes {@link #trouble} waiters when the session closes. */
  synchronized void wake() {
    notifyAll();
  }

  /**
   * Returns the trouble seen now or within {@code window}; when there was none, waits until {@code
   * deadline} for a probe started after this call and reports health only if it answered within
   * {@link #LATE}.
   */
  synchronized Optional<String> trouble(Duration window, Deadline deadline) {
    long now = ticker.nanoTime();
    Optional<String> seen = seen(now, window);
    if (seen.isPresent()) {
      return seen;
    }
    while (!anyProbe || lastProbeStart - now < 0) {
      long left = deadline.remaining().toMillis();
      if (left <= 0) {
        return Optional.of(
            "no fresh liveness answer from libvirtd before the deadline"
                + (probing
                    ? " (a probe has been unanswered for "
                        + ms(ticker.nanoTime() - probeSince)
                        + ")"
                    : ""));
      }
      waiting++;
      try {
        wait(Math.min(left, 100));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.of("interrupted while waiting for a liveness answer from libvirtd");
      } finally {
        waiting--;
      }
      if (down) {
        return Optional.of("connection to libvirtd down: " + downWhy);
      }
      long t = ticker.nanoTime();
      if (probing && probeSince - now >= 0 && t - probeSince > LATE.toNanos()) {
        return Optional.of("libvirtd has not answered a liveness probe for " + ms(t - probeSince));
      }
    }
    return lastProbeOk ? Optional.empty() : Optional.of(lastProbeTrouble);
  }

  /** How many {@link #trouble} calls wait for a fresh probe now (for tests). */
  synchronized int waiting() {
    return waiting;
  }

  private Optional<String> seen(long now, Duration window) {
    if (down) {
      return Optional.of("connection to libvirtd down for " + ms(now - downSince) + ": " + downWhy);
    }
    if (probing && now - probeSince > LATE.toNanos()) {
      return Optional.of("libvirtd has not answered a liveness probe for " + ms(now - probeSince));
    }
    long from = now - window.toNanos();
    for (Interval i : past) {
      if (i.to() - from >= 0) {
        return Optional.of(i.what() + ", " + ms(now - i.to()) + " ago");
      }
    }
    return Optional.empty();
  }

  private void add(long from, long to, String what) {
    past.addFirst(new Interval(from, to, what));
    long forget = ticker.nanoTime() - HISTORY.toNanos();
    while (!past.isEmpty() && past.peekLast().to() - forget < 0) {
      past.removeLast();
    }
  }

  private static String ms(long nanos) {
    return Duration.ofNanos(nanos).toMillis() + " ms";
  }
}
