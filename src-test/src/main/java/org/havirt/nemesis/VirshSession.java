package org.havirt.nemesis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An interactive {@code virsh} kept open on one libvirtd, so that reading the domains every 20 ms
 * costs one libvirt call and no process start. No keepalive ({@code -k 0}): a frozen libvirtd must
 * not make virsh drop the connection (a test-driver daemon forgets its domains when its last client
 * leaves). A command that is not answered in time gives null; the session waits for that answer
 * before the next command, and is restarted when virsh has ended or been stuck too long.
 *
 * <p>Not thread-safe: one caller (a truth source on the observer's thread).
 */
final class VirshSession implements AutoCloseable {
  private static final long STUCK_MS = 60_000;

  private final String uri;
  private Process virsh;
  private OutputStream in;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private long marker;
  private long awaiting = -1;
  private long awaitingSince;
  private List<String> partial = new ArrayList<>();

  VirshSession(String uri) {
    this.uri = uri;
  }

  private void open() throws IOException {
    virsh = new ProcessBuilder("virsh", "-k", "0", "-c", uri).redirectErrorStream(true).start();
    in = virsh.getOutputStream();
    lines.clear();
    awaiting = -1;
    partial = new ArrayList<>();
    Process p = virsh;
    Thread t =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // ended
              }
            },
            "nemesis-virsh-reader");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Runs a command and returns its output lines, or null if virsh did not answer within {@code
   * waitMs} (its answer is then awaited before anything else is sent).
   */
  List<String> run(String command, long waitMs) {
    try {
      if (virsh == null || !virsh.isAlive()) {
        close();
        open();
      }
      if (awaiting < 0) {
        awaiting = ++marker;
        awaitingSince = System.nanoTime();
        in.write(
            (command + "\necho __nemesis_" + awaiting + "__\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
      } else if (TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - awaitingSince) > STUCK_MS) {
        close();
        return null;
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (true) {
        long left = deadline - System.nanoTime();
        String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (line == null) {
          if (!virsh.isAlive()) {
            close();
          }
          return null;
        }
        if (line.equals("__nemesis_" + awaiting + "__")) {
          List<String> out = partial;
          partial = new ArrayList<>();
          boolean stale = !command.isEmpty() && awaiting != marker;
          awaiting = -1;
          return stale ? null : out;
        }
        partial.add(line);
      }
    } catch (IOException e) {
      close();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    if (virsh != null) {
      virsh.destroyForcibly();
      virsh = null;
    }
    awaiting = -1;
  }
}
