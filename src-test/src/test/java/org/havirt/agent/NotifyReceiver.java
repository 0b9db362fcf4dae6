package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A stand-in for systemd's notify socket: a Python process bound to an AF_UNIX datagram address
 * that records each message with its sender's pid as the kernel reports it (as systemd reads it).
 * Not thread-safe.
 */
final class NotifyReceiver implements AutoCloseable {
  private final Process process;
  private final Path out;

  NotifyReceiver(Path dir, String address) throws IOException {
    Path script = dir.resolve("notify_receiver.py");
    try (InputStream in = NotifyReceiver.class.getResourceAsStream("notify_receiver.py")) {
      Files.write(script, in.readAllBytes());
    }
    out = dir.resolve("notify.log");
    process =
        new ProcessBuilder("python3", script.toString(), address, out.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String first =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    assertThat(first).as("the receiver bound %s", address).isEqualTo("ready");
  }

  /** Returns the messages so far, one line each: "pid=PID MESSAGE" (newlines as |). */
  List<String> lines() throws IOException {
    return Files.exists(out) ? Files.readAllLines(out) : List.of();
  }

  /** Returns how many messages so far match {@code p}. */
  long count(Predicate<String> p) throws IOException {
    return lines().stream().filter(p).count();
  }

  /** Waits, up to {@code deadline}, until {@code count} messages match {@code p}. */
  boolean await(Predicate<String> p, long count, Duration deadline)
      throws IOException, InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (count(p) < count && System.nanoTime() < end) {
      Thread.sleep(20); // polling a file with a deadline
    }
    return count(p) >= count;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
