package org.havirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;

/**
 * The agent at scale: N KVMGuest resources on a private test-driver libvirtd, the agent in its own
 * process (bin/havirt agent). Measures start-up to first complete probe, CPU and resident memory at
 * steady state, and the delay from an out-of-band destroy to the event on a subscribed engine
 * socket. Usage: AgentScaleBenchmark HAVIRT_BIN N INTERVAL_S CPU_WINDOW_S TRIALS
 */
public final class AgentScaleBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AgentScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path havirt = Path.of(args[0]);
    int n = Integer.parseInt(args[1]);
    int interval = Integer.parseInt(args[2]);
    int window = Integer.parseInt(args[3]);
    int trials = Integer.parseInt(args[4]);
    Path dir = Files.createTempDirectory("havirt-bench");
    try (PrivateLibvirtd d = PrivateLibvirtd.testDriver(dir.resolve("tdrv"))) {
      Process virsh =
          new ProcessBuilder("virsh", "-q", "-c", d.uri())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("virsh.out").toFile())
              .start();
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

      Path sock = dir.resolve("agent.sock");
      ProcessBuilder pb =
          new ProcessBuilder(
                  havirt.toString(),
                  "agent",
                  "-c",
                  dir.resolve("main.cf").toString(),
                  "--sys",
                  "n1")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("agent.out").toFile());
      pb.environment().put("HAVIRT_LIBVIRT_URI", d.uri());
      pb.environment().put("HAVIRT_SOCKET", sock.toString());
      pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
      pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
      pb.environment().put("HAVIRT_LOG_LEVEL", "WARN");
      long t0 = System.nanoTime();
      Process agent = pb.start();
      try {
        while (!Files.exists(sock)) {
          Thread.sleep(10); // the agent has not created its socket yet
        }
        Client c = new Client(sock);
        c.send("{\"id\":1,\"op\":\"subscribe\"}");
        int online = 0;
        while (online < n) {
          JsonNode e = c.next(Duration.ofMinutes(5));
          if (e != null && e.has("event") && e.path("state").asText().equals("ONLINE")) {
            online++;
          }
        }
        double firstProbe = (System.nanoTime() - t0) / 1e9;

        long pid = agent.pid();
        long cpu0 = cpuTicks(pid);
        long w0 = System.nanoTime();
        Thread.sleep(window * 1000L); // the measurement window itself
        double cpuPct = (cpuTicks(pid) - cpu0) / 100.0 / ((System.nanoTime() - w0) / 1e9) * 100;
        long rssKb = rssKb(pid);

        List<Double> lat = new ArrayList<>();
        for (int t = 0; t < trials && t < n; t++) {
          String res = "r" + t;
          long s = System.nanoTime();
          vin.write(("destroy g" + t + "\n").getBytes(StandardCharsets.UTF_8));
          vin.flush();
          while (true) {
            JsonNode e = c.next(Duration.ofSeconds(30));
            if (e == null) {
              throw new IllegalStateException("no event for " + res);
            }
            if (e.has("event")
                && e.path("resource").asText().equals(res)
                && e.path("state").asText().equals("OFFLINE")) {
              lat.add((System.nanoTime() - s) / 1e6);
              break;
            }
          }
        }
        double[] l = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(
            "agent-scale: %d resources, MonitorInterval %d s, CPU window %d s, %d destroy trials%n",
            n, interval, window, l.length);
        System.out.println(
            "| resources | start-up to first complete probe s | CPU % of one core | RSS MB | destroy to event ms median | p95 | p99 |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.printf(
            "| %d | %.2f | %.2f | %d | %.1f | %.1f | %.1f |%n",
            n, firstProbe, cpuPct, rssKb / 1024, pct(l, 50), pct(l, 95), pct(l, 99));
        System.out.printf(
            "polling peers at the same machine: detection median = interval/2: VirtualDomain (10 s) 5000 ms, "
                + "VCS MonitorInterval (60 s) 30000 ms; ratio to havirt's median: %.0fx and %.0fx%n",
            5000 / pct(l, 50), 30000 / pct(l, 50));
        c.close();
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

  private static double pct(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Returns utime + stime of {@code pid} in clock ticks (100 per second on Linux). */
  private static long cpuTicks(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static long rssKb(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** A minimal engine: one reader thread, lines to a queue. */
  private static final class Client {
    private final SocketChannel ch;
    private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();

    Client(Path sock) throws Exception {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(sock));
      BufferedReader r =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      Thread t =
          new Thread(
              () -> {
                try {
                  String l;
                  while ((l = r.readLine()) != null) {
                    lines.add(JSON.readTree(l));
                  }
                } catch (Exception e) {
                  // closed
                }
              });
      t.setDaemon(true);
      t.start();
    }

    void send(String line) throws Exception {
      ch.write(java.nio.ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    JsonNode next(Duration timeout) throws InterruptedException {
      return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void close() throws Exception {
      ch.close();
    }
  }
}
