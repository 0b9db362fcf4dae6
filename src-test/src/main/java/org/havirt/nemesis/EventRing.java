package org.havirt.nemesis;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything that happened in a campaign, in arrival order: agent log lines, observer samples that
 * changed something, injected faults, engine operations. The last {@link #KEEP} stay in memory for
 * a violation's report; every event also goes to {@code events.log} when a file is given.
 *
 * <p>Thread-safe: any thread may add; the methods are synchronized.
 */
public final class EventRing {
  /** How many events a violation report shows. */
  public static final int SHOWN = 100;

  private static final int KEEP = 2000;

  /** One event: when it arrived, where from (e.g. {@code agent t1}, {@code fault}), and what. */
  public record Event(Instant at, String source, String text) {
    @Override
    public String toString() {
      return at + " [" + source + "] " + text;
    }
  }

  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private final BufferedWriter file;

  /**
   * @param file where every event is also written, or null
   */
  public EventRing(Path file) throws IOException {
    this.file = file == null ? null : Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  /** Records an event now. */
  public synchronized void add(String source, String text) {
    Event e = new Event(Instant.now(), source, text);
    events.addLast(e);
    if (events.size() > KEEP) {
      events.removeFirst();
    }
    if (file != null) {
      try {
        file.write(e.toString());
        file.write('\n');
      } catch (IOException ex) {
        // the ring still holds it; a full disk must not stop the campaign
      }
    }
  }

  /** Returns the last {@code n} events, oldest first. */
  public synchronized List<Event> last(int n) {
    List<Event> all = new ArrayList<>(events);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  /** Flushes the file. */
  public synchronized void flush() {
    if (file != null) {
      try {
        file.flush();
      } catch (IOException e) {
        // see add
      }
    }
  }
}
