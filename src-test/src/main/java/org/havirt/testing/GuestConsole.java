package org.havirt.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The serial console of a {@link TestGuest}, read from the file qemu writes it to. A cursor walks
 * through the lines: each {@link #awaitLine} looks at lines after the one it last returned, so a
 * test waits for "ready", then for what the guest did next, in order. Not thread-safe.
 */
public final class GuestConsole {
  private final Path file;
  private int cursor; // index into lines() of the next line to look at

  public GuestConsole(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Everything the console showed so far (empty before qemu created the file). */
  public String text() throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
  }

  /**
   * Waits until a complete line after the cursor contains {@code fragment}, moves the cursor past
   * it and returns it; throws {@link AssertionError} with the console's tail after {@code within}.
   */
  public String awaitLine(String fragment, Duration within)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      String[] lines = completeLines();
      for (int i = cursor; i < lines.length; i++) {
        if (lines[i].contains(fragment)) {
          cursor = i + 1;
          return lines[i];
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "the guest's console showed no line with \""
                + fragment
                + "\" within "
                + within
                + " ("
                + file
                + "); its last lines:\n"
                + tail());
      }
      // qemu appends to a plain file: there is nothing to wait on but the file itself.
      Thread.sleep(20);
    }
  }

  /** True when a line after the cursor contains {@code fragment}; the cursor stays. */
  public boolean hasLine(String fragment) throws IOException {
    String[] lines = completeLines();
    for (int i = cursor; i < lines.length; i++) {
      if (lines[i].contains(fragment)) {
        return true;
      }
    }
    return false;
  }

  /** Moves the cursor past every line shown so far. */
  public void skipToEnd() throws IOException {
    cursor = completeLines().length;
  }

  /** The console's last 30 lines, for failure messages. */
  public String tail() throws IOException {
    String[] lines = text().split("\r?\n", -1);
    int from = Math.max(0, lines.length - 30);
    return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
  }

  private String[] completeLines() throws IOException {
    String t = text();
    int end = t.lastIndexOf('\n');
    if (end < 0) {
      return new String[0];
    }
    return t.substring(0, end).replace("\r", "").split("\n", -1);
  }
}
