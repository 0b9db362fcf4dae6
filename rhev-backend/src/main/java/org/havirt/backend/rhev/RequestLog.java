package org.havirt.backend.rhev;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import org.havirt.types.Ticker;

/**
 * What became of the requests one {@link RhevClient} sent to its RHEV-M lately: when each ended,
 * how long it took, whether RHEV-M failed to answer it, and which are still in flight. It answers
 * {@code VmBackend.controlTrouble} (spec §6): a RHEV monitor reads one shared listing, so a slow or
 * failing RHEV-M, not the VM, explains a monitor timeout. Remembers at most {@link #RETAIN} and
 * {@link #MAX_REMEMBERED} requests; a longer window looks back only that far. Thread-safe.
 */
final class RequestLog {
  static final Duration RETAIN = Duration.ofHours(1);
  static final int MAX_REMEMBERED = 10_000;

  /** One finished request; {@code failure} is empty when RHEV-M answered it. */
  private record Done(String what, long endNanos, long tookNanos, Optional<String> failure) {}

  private record Flight(String what, long startNanos) {}

  private final Ticker ticker;
  private final ArrayDeque<Done> done = new ArrayDeque<>(); // oldest first
  private final Map<Long, Flight> inFlight = new HashMap<>();
  private long nextTicket;

  RequestLog(Ticker ticker) {
    this.ticker = ticker;
  }

  /** Records that {@code what} (e.g. {@code GET vms}) is being sent; returns its ticket. */
  synchronized long begin(String what) {
    long t = nextTicket++;
    inFlight.put(t, new Flight(what, ticker.nanoTime()));
    return t;
  }

  /** Records the end of ticket {@code t}: answered when {@code failure} is empty. */
  synchronized void end(long t, Optional<String> failure) {
    Flight f = inFlight.remove(t);
    if (f == null) {
      return;
    }
    long now = ticker.nanoTime();
    done.addLast(new Done(f.what(), now, now - f.startNanos(), failure));
    while (done.size() > MAX_REMEMBERED
        || (!done.isEmpty() && now - done.peekFirst().endNanos() > RETAIN.toNanos())) {
      done.removeFirst();
    }
  }

  /**
   * Returns why RHEV-M was not answering at some time during the last {@code window}: a request
   * that failed, or took longer than half the window, or is in flight for longer than that now.
   * Empty says only that no such request was seen; see {@link #answeredWithin}.
   */
  synchronized Optional<String> trouble(Duration window) {
    long now = ticker.nanoTime();
    long half = window.toNanos() / 2;
    for (Flight f : inFlight.values()) {
      if (now - f.startNanos() > half) {
        return Optional.of(
            f.what()
                + " has been in flight for "
                + seconds(now - f.startNanos())
                + " (more than half of the "
                + seconds(window.toNanos())
                + " window)");
      }
    }
    Iterator<Done> newestFirst = done.descendingIterator();
    while (newestFirst.hasNext()) {
      Done d = newestFirst.next();
      if (now - d.endNanos() > window.toNanos()) {
        break;
      }
      if (d.failure().isPresent()) {
        return Optional.of(
            d.what() + " failed " + seconds(now - d.endNanos()) + " ago: " + d.failure().get());
      }
      if (d.tookNanos() > half) {
        return Optional.of(
            d.what()
                + " took "
                + seconds(d.tookNanos())
                + " (more than half of the "
                + seconds(window.toNanos())
                + " window)");
      }
    }
    return Optional.empty();
  }

  /** Returns whether RHEV-M answered at least one request that ended within {@code window}. */
  synchronized boolean answeredWithin(Duration window) {
    long now = ticker.nanoTime();
    Iterator<Done> newestFirst = done.descendingIterator();
    while (newestFirst.hasNext()) {
      Done d = newestFirst.next();
      if (now - d.endNanos() > window.toNanos()) {
        return false;
      }
      if (d.failure().isEmpty()) {
        return true;
      }
    }
    return false;
  }

  private static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
  }
}
