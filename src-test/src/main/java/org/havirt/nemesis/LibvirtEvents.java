package org.havirt.nemesis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A libvirtd's own lifecycle events ({@code virsh event --all --loop --timestamp}), written to the
 * event ring as they come, so a violation's report shows what libvirt itself said between two
 * samples. Restarted a second after it ends (libvirtd killed or restarted). Thread-safe.
 */
final class LibvirtEvents implements AutoCloseable {
  private final String node;
  private final String uri;
  private final EventRing ring;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Process virsh;

  LibvirtEvents(String node, String uri, EventRing ring) {
    this.node = node;
    this.uri = uri;
    this.ring = ring;
    thread = new Thread(this::run, "nemesis-libvirt-events-" + node);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (!closed) {
      try {
        Process p =
            new ProcessBuilder(
                    "virsh", "-k", "0", "-c", uri, "event", "--all", "--loop", "--timestamp")
                .redirectErrorStream(true)
                .start();
        virsh = p;
        try (BufferedReader r =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            if (!line.isBlank()) {
              ring.add("libvirt " + node, line);
            }
          }
        }
        p.waitFor();
      } catch (IOException e) {
        // virsh could not start: tried again below
      } catch (InterruptedException e) {
        return;
      }
      try {
        Thread.sleep(1000); // libvirtd is down or restarting; listen again a second later
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    Process p = virsh;
    if (p != null) {
      p.destroyForcibly();
    }
  }
}
