package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.VmEventListener;

/**
 * Polls one RHEV-M's events feed so a change is seen in about a second instead of at the next
 * monitor. RHEV-M has no push channel. Each new event invalidates the VM listing and hints the
 * agent, naming the VM where the event does.
 *
 * <p>Bounded: an engine keeps weeks of events, so the first poll asks only for the newest one
 * ({@code max=1}, newest first when {@code from} is absent) to learn where the feed stands; later
 * polls ask for at most {@value #PAGE} events after the last id seen ({@code from=&max=}). Events
 * are taken in id order whatever order the engine sends them in, and ids already seen are skipped
 * (the engine's documentation says {@code from} is inclusive). A full page may not be all: the
 * listing is dropped and every resource hinted, as when joining, and the next poll goes on from the
 * page's last id. Thread-safe.
 */
final class EventPoller implements AutoCloseable {
  /** The most events one poll asks for. */
  static final int PAGE = 100;

  private final RhevClient client;
  private final VmListing listing;
  private final List<VmEventListener> listeners;
  private final ScheduledExecutorService timer;
  private long lastId = -1;

  EventPoller(
      RhevClient client,
      VmListing listing,
      CopyOnWriteArrayList<VmEventListener> listeners,
      Duration every) {
    this.client = client;
    this.listing = listing;
    this.listeners = listeners;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "havirt-rhevm-events");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(this::poll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void poll() {
    try {
      Deadline d = Deadline.in(Duration.ofSeconds(10));
      boolean first = lastId < 0;
      JsonNode events =
          first
              ? client.get("events", d, "max", "1")
              : client.get(
                  "events", d, "from", Long.toString(lastId), "max", Integer.toString(PAGE));
      List<JsonNode> fresh = new ArrayList<>();
      int count = 0;
      for (JsonNode e : RhevClient.items(events, "event")) {
        count++;
        if (e.path("id").asLong(-1) > lastId) {
          fresh.add(e);
        }
      }
      fresh.sort(Comparator.comparingLong(e -> e.path("id").asLong(-1)));
      if (first) {
        // Where the feed stands; what came before is what the first monitors read anyway.
        if (fresh.isEmpty()) {
          lastId = 0;
        } else {
          lastId = fresh.get(fresh.size() - 1).path("id").asLong();
          joined("RHEV-M events feed joined at event " + lastId);
        }
        return;
      }
      for (JsonNode e : fresh) {
        long id = e.path("id").asLong();
        lastId = id;
        listing.invalidate();
        String vmId = e.path("vm").path("id").asText("");
        String name = vmId.isEmpty() ? null : listing.nameOf(vmId).orElse(null);
        for (VmEventListener l : listeners) {
          l.onVmEvent(name, "RHEV-M event " + id + ": " + e.path("description").asText(""));
        }
      }
      if (count >= PAGE) {
        joined("RHEV-M events feed: a full page of events, up to event " + lastId);
      }
    } catch (BackendException | RuntimeException e) {
      // The feed is only a speed-up: monitors still relist on their own interval.
    }
  }

  /**
   * The feed cannot say which events came after the listing the monitors read (this poll runs
   * beside them), or some may not have been read: one fresh look for everyone closes that gap.
   */
  private void joined(String why) {
    listing.invalidate();
    for (VmEventListener l : listeners) {
      l.onVmEvent(null, why);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
