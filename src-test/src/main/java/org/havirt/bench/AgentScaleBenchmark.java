package org.havirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;

/**
 * The agent at scale: N KVMGuest resources on a private test-driver libvirtd, the agent in its own
 * process (bin/havirt agent). Measures start-up to first complete probe, CPU and resident memory at
 * steady state, and the delay from an out-of-band destroy to the event on a subscribed engine
 * socket while all N are monitored. Usage: AgentScaleBenchmark HAVIRT_BIN N[,N...] INTERVAL_S
 * CPU_WINDOW_S TRIALS [REPORT_MD]
 */
public final class AgentScaleBenchmark {
  private AgentScaleBenchmark() {}

  record Row(int n, double firstProbe, double cpuPct, long rssMb, List<Double> latency) {}

  public static void main(String[] args) throws Exception {
    Path havirt = Path.of(args[0]);
    int interval = Integer.parseInt(args[2]);
    int window = Integer.parseInt(args[3]);
    int trials = Integer.parseInt(args[4]);
    Path report = args.length > 5 ? Path.of(args[5]) : null;
    List<Row> rows = new ArrayList<>();
    for (String n : args[1].split(",")) {
      rows.add(run(havirt, Integer.parseInt(n), interval, window, trials));
    }
    StringBuilder md = new StringBuilder();
    md.append("## Scale (KVM, test driver)\n\n")
        .append(
            String.format(
                "N KVMGuest resources at MonitorInterval %d s on a private test-driver libvirtd,"
                    + " the agent in its own JVM (`bin/havirt agent`). CPU and memory over a %d s"
                    + " window at steady state (from two monitor rounds after the first probe); then %d out-of-band `virsh destroy`s, each timed"
                    + " to the OFFLINE event on a subscribed engine socket while every resource"
                    + " is monitored.%n%n",
                interval, window, trials))
        .append(
            "| resources | start-up to first complete probe s | CPU % of one core | RSS MB"
                + " | destroy to event ms median | p95 | p99 |\n")
        .append("|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append(
          String.format(
              "| %d | %.2f | %.2f | %d | %.1f | %.1f | %.1f |%n",
              r.n(),
              r.firstProbe(),
              r.cpuPct(),
              r.rssMb(),
              Bench.pct(r.latency(), 50),
              Bench.pct(r.latency(), 95),
              Bench.pct(r.latency(), 99)));
    }
    md.append(
        "\nTargets at 1,000 resources: under 5 % of one core, under 256 MB, first probe under"
            + " 3 s, p99 detection under 100 ms.\n\n");
    Bench.report(report, md.toString());
  }

  static Row run(Path havirt, int n, int interval, int window, int trials) throws Exception {
    Path dir = Files.createTempDirectory("havirt-bench");
    try (PrivateLibvirtd d = PrivateLibvirtd.testDriver(dir.resolve("tdrv"))) {
      Process virsh = Bench.virshSession(d, dir);
      OutputStream vin = virsh.getOutputStream();
      StringBuilder cf = new StringBuilder("group g ( SystemList = { n1 = 0 } )\n");
      for (int i = 0; i < n; i++) {
        Path xml = dir.resolve("g" + i + ".xml");
        Files.writeString(
            xml,
            "<domain type='test'><name>g"
                + i
                + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64'>hvm</type></os></domain>");
        vin.write(("define " + xml + "\nstart g" + i + "\n").getBytes(StandardCharsets.UTF_8));
        cf.append("KVMGuest r")
            .append(i)
            .append(" ( GuestName = g")
            .append(i)
            .append(" MonitorInterval = ")
            .append(interval)
            .append(" RestartLimit = 0 )\n");
      }
      vin.flush();
      Files.writeString(dir.resolve("main.cf"), cf);
      awaitDefined(d, n);

      long t0 = System.nanoTime();
      Process agent =
          Bench.startAgent(
              havirt, dir, dir.resolve("main.cf"), Map.of("HAVIRT_LIBVIRT_URI", d.uri()));
      try (Bench.Client c = new Bench.Client(dir.resolve("agent.sock"))) {
        c.send("{\"id\":1,\"op\":\"subscribe\"}");
        int online = 0;
        while (online < n) {
          JsonNode e = c.next(Duration.ofMinutes(5));
          if (e == null) {
            throw new IllegalStateException("only " + online + " of " + n + " came ONLINE");
          }
          if (e.has("event") && e.path("state").asText().equals("ONLINE")) {
            online++;
          }
        }
        double firstProbe = (System.nanoTime() - t0) / 1e9;

        long pid = agent.pid();
        // Steady state: two monitor rounds after the first probe, past the JIT's warm-up.
        Thread.sleep(2 * interval * 1000L); // the settling period itself, not a wait for work
        long cpu0 = Bench.cpuTicks(pid);
        long w0 = System.nanoTime();
        Thread.sleep(window * 1000L); // the measurement window itself
        double cpuPct =
            (Bench.cpuTicks(pid) - cpu0) / 100.0 / ((System.nanoTime() - w0) / 1e9) * 100;
        long rssKb = Bench.rssKb(pid);

        List<Double> lat = new ArrayList<>();
        for (int t = 0; t < trials && t < n; t++) {
          long s = System.nanoTime();
          vin.write(("destroy g" + t + "\n").getBytes(StandardCharsets.UTF_8));
          vin.flush();
          c.awaitEvent("r" + t, "OFFLINE");
          lat.add((System.nanoTime() - s) / 1e6);
        }
        System.out.printf(
            "agent-scale %d: first probe %.2f s, CPU %.2f %%, RSS %d MB%n",
            n, firstProbe, cpuPct, rssKb / 1024);
        return new Row(n, firstProbe, cpuPct, rssKb / 1024, lat);
      } finally {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
        virsh.destroy();
      }
    }
  }

  private static void awaitDefined(PrivateLibvirtd d, int n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      String out = d.virsh("list", "--name");
      if (Arrays.stream(out.split("\n")).filter(s -> s.startsWith("g")).count() >= n) {
        return;
      }
      Thread.sleep(200); // virsh is still defining and starting the guests
    }
    throw new IllegalStateException("guests were not all started");
  }
}
