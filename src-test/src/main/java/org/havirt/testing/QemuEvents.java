package org.havirt.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * QEMU's own monitor events of one domain, through {@code virsh qemu-monitor-event}. Each event
 * carries the time qemu stamped on it (microseconds, wall clock), so a test can time what happened
 * after, for example the moment a disk write failed ({@code BLOCK_IO_ERROR}). Thread-safe.
 */
public final class QemuEvents implements AutoCloseable {
  // Without --timestamp, virsh prints qemu's own time stamp: "event NAME at S.US for domain 'D': X"
  private static final Pattern LINE =
      Pattern.compile("event (\\S+) at (\\d+)\\.(\\d{6}) for domain '([^']*)': (.*)");

  /** One event: its name, qemu's time stamp in microseconds since the epoch, and its details. */
  public record Event(String name, long epochMicros, String details) {}

  private final Process virsh;
  private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

  /**
   * Subscribes to {@code domain}'s events on {@code daemon} (the domain must be defined; it need
   * not run). virsh gives no sign that it has registered, which takes milliseconds: subscribe
   * before starting the guest, whose interesting events come seconds after its boot. A missed event
   * makes {@link #await} return null, never a wrong time.
   */
  public QemuEvents(PrivateLibvirtd daemon, String domain) throws IOException {
    virsh =
        new ProcessBuilder(
                List.of(
                    "virsh",
                    "-c",
                    daemon.uri(),
                    "qemu-monitor-event",
                    "--domain",
                    domain,
                    "--loop"))
            .redirectErrorStream(true)
            .start();
    virsh.getOutputStream().close();
    Thread reader = new Thread(this::read, "qemu-events-" + domain);
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(virsh.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        Matcher m = LINE.matcher(line.trim());
        if (m.matches()) {
          events.add(
              new Event(
                  m.group(1),
                  Long.parseLong(m.group(2)) * 1_000_000 + Long.parseLong(m.group(3)),
                  m.group(5)));
        }
      }
    } catch (IOException e) {
      // virsh ended
    }
  }

  /** The next event named {@code name}, or null after {@code within}; others are dropped. */
  public Event await(String name, Duration within) throws InterruptedException {
    return await(name, java.time.Instant.EPOCH, within);
  }

  /**
   * The next event named {@code name} that qemu stamped at or after {@code notBefore}, or null
   * after {@code within}; others are dropped. One failure can bring several events of a name (qemu
   * reports each failed request): a later trial must not take an earlier one's.
   */
  public Event await(String name, java.time.Instant notBefore, Duration within)
      throws InterruptedException {
    long from = java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, notBefore);
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      Event e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (e == null || (e.name().equals(name) && e.epochMicros() >= from)) {
        return e;
      }
    }
  }

  @Override
  public void close() {
    virsh.destroy();
    try {
      virsh.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
