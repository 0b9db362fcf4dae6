package org.havirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.FullDisk;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.QemuEvents;
import org.havirt.testing.TestGuest;

/**
 * The detection row of a guest paused on an I/O error: a booted {@link TestGuest} writes to a disk
 * on a full tmpfs ({@link FullDisk}), qemu's write fails and qemu stops the guest. Each trial is
 * timed from qemu's own time stamp on its BLOCK_IO_ERROR event (microseconds, wall clock) to the
 * OFFLINE event on a subscribed engine socket (the agent in its own JVM, FailoverOnIOError at its
 * default). The agent cleans the guest; the next trial starts and boots it again. Usage, to run
 * this row alone: IoErrorDetection HAVIRT_BIN TRIALS
 */
final class IoErrorDetection {
  private IoErrorDetection() {}

  public static void main(String[] args) throws Exception {
    List<Double> ms = trials(Path.of(args[0]), Integer.parseInt(args[1]));
    StringBuilder md = new StringBuilder();
    DetectionBenchmark.row(md, ROW, ms, Double.NaN);
    System.out.print(md);
    System.out.println("trials: " + ms);
  }

  static final String ROW = "havirt, guest paused on an I/O error (TCG guest, real ENOSPC)";

  static List<Double> trials(Path havirt, int trials) throws Exception {
    TestGuest guest = TestGuest.get();
    Path dir = Files.createTempDirectory("havirt-bench-ioerror");
    try (PrivateLibvirtd d =
        PrivateLibvirtd.qemu(dir.resolve("qemu"), java.util.UUID.randomUUID().toString())) {
      Path image = FullDisk.create(d, "io0", 512, 64);
      TestGuest.Domain domain =
          guest.domain("io0", dir.resolve("io0.console")).disk(image).writeOnBoot("/dev/vda", 8);
      d.virsh("define", domain.writeXml(dir.resolve("io0.xml")).toString());
      List<Double> lat = new ArrayList<>();
      Process agent =
          Bench.startAgent(havirt, dir, mainCf(dir), Map.of("HAVIRT_LIBVIRT_URI", d.uri()));
      try (QemuEvents qemu = new QemuEvents(d, "io0");
          Bench.Client c = new Bench.Client(dir.resolve("agent.sock"))) {
        c.send("{\"id\":1,\"op\":\"subscribe\"}");
        for (int t = 0; t < trials; t++) {
          // The guest is off (before the first trial, or cleaned after the last one's fault).
          DetectionBenchmark.restart(c);
          // A dying qemu may still report failed requests while it is destroyed: only events of
          // the qemu started now count (its guest boots for seconds before it writes).
          Instant started = Instant.now();
          QemuEvents.Event failed = qemu.await("BLOCK_IO_ERROR", started, TestGuest.BOOT_TIMEOUT);
          if (failed == null) {
            throw new IllegalStateException("no I/O error; see " + domain.consoleFile());
          }
          awaitIoErrorOffline(c);
          long seen = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
          lat.add((seen - failed.epochMicros()) / 1000.0);
        }
      } finally {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
      return lat;
    }
  }

  /**
   * As the other rows' resource, with DelayAfterGuestOnline = 0: the guest fails seconds after its
   * start, and a monitor queues behind an online still waiting out its delay (30 s by default), so
   * with the default each trial would time the rest of that wait, not the detection.
   */
  private static Path mainCf(Path dir) throws java.io.IOException {
    return Files.writeString(
        dir.resolve("main.cf"),
        "group g ( SystemList = { n1 = 0 } )\nKVMGuest r0 ( GuestName = io0"
            + " MonitorInterval = 60 RestartLimit = 0 ToleranceLimit = 0"
            + " DelayAfterGuestOnline = 0 )\n");
  }

  private static void awaitIoErrorOffline(Bench.Client c) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode e = c.next(Duration.ofSeconds(1));
      if (e != null
          && e.has("event")
          && e.path("resource").asText().equals("r0")
          && e.path("state").asText().equals("OFFLINE")
          && e.path("reason").asText().contains("I/O error")) {
        return;
      }
    }
    throw new IllegalStateException("no OFFLINE event for the I/O error within 30 s");
  }
}
