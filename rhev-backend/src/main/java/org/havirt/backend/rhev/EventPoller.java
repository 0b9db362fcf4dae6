package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.VmEventListener;

/**
 * Polls one RHEV-M's events feed ({@code /events?from=}) so a change is seen in about a second
 * instead of at the next monitor. RHEV-M has no push channel. Each new event invalidates the VM
 * listing and hints the agent, naming the VM where the event does. Thread-safe.
 */
final class EventPoller implements AutoCloseable {
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
      JsonNode events =
          lastId < 0
              ? client.get("events", d)
              : client.get("events", d, "from", Long.toString(lastId));
      boolean first = lastId < 0;
      boolean backlog = false;
      for (JsonNode e : events.path("event")) {
        long id = e.path("id").asLong(-1);
        if (id <= lastId) {
          continue;
        }
        lastId = Math.max(lastId, id);
        if (first) {
          backlog = true;
          continue;
        }
        listing.invalidate();
        String vmId = e.path("vm").path("id").asText("");
        String name = vmId.isEmpty() ? null : listing.nameOf(vmId).orElse(null);
        for (VmEventListener l : listeners) {
          l.onVmEvent(name, "RHEV-M event " + id + ": " + e.path("description").asText(""));
        }
      }
      if (first && lastId < 0) {
        lastId = 0;
      }
      if (backlog) {
        // The backlog cannot say which events came after the listing the first monitors read
        // (this poll runs beside them): one fresh look for everyone closes that gap.
        listing.invalidate();
        for (VmEventListener l : listeners) {
          l.onVmEvent(null, "RHEV-M events feed joined at event " + lastId);
        }
      }
    } catch (BackendException | RuntimeException e) {
      // The feed is only a speed-up: monitors still relist on their own interval.
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
