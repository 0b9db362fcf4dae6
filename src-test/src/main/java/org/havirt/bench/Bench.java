package org.havirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** What the benchmark programs share: statistics, process accounting, an engine client. */
final class Bench {
  static final ObjectMapper JSON = new ObjectMapper();

  private Bench() {}

  /** The p-th percentile (nearest rank) of {@code values}; NaN when empty. */
  static double pct(List<Double> values, double p) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Returns utime + stime of {@code pid} in clock ticks (100 per second on Linux). */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  /** Appends {@code markdown} to the section file the run script collects (and prints it). */
  static void report(Path file, String markdown) throws IOException {
    System.out.print(markdown);
    if (file != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(
          file,
          markdown,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    }
  }

  /** Defines and starts a test-driver guest {@code name}; {@code <name>} on its own line. */
  static Path startTestGuest(org.havirt.testing.PrivateLibvirtd d, Path dir, String name)
      throws IOException, InterruptedException {
    Path xml =
        Files.writeString(
            dir.resolve(name + ".xml"),
            "<domain type='test'>\n  <name>"
                + name
                + "</name>\n  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n"
                + "  <os><type arch='x86_64'>hvm</type></os>\n</domain>\n");
    d.virsh("define", xml.toString());
    d.virsh("start", name);
    return xml;
  }

  /**
   * One interactive virsh on {@code d}: commands written to its stdin run without a process start
   * each, so timing a destroy measures libvirt and the agent, not virsh's start-up.
   */
  static Process virshSession(org.havirt.testing.PrivateLibvirtd d, Path dir) throws IOException {
    return new ProcessBuilder("virsh", "-q", "-c", d.uri())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("virsh.out").toFile())
        .start();
  }

  /** Starts {@code bin/havirt agent} for {@code mainCf} on a private socket and waits for it. */
  static Process startAgent(Path havirt, Path dir, Path mainCf, Map<String, String> env)
      throws IOException, InterruptedException {
    Path sock = dir.resolve("agent.sock");
    ProcessBuilder pb =
        new ProcessBuilder(havirt.toString(), "agent", "-c", mainCf.toString(), "--sys", "n1")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.out").toFile());
    pb.environment().put("HAVIRT_SOCKET", sock.toString());
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
    pb.environment().put("HAVIRT_LOG_LEVEL", "WARN");
    pb.environment().putAll(env);
    Process agent = pb.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!accepts(sock)) {
      if (System.nanoTime() > deadline || !agent.isAlive()) {
        throw new IllegalStateException("the agent did not start; see " + dir + "/agent.out");
      }
      Thread.sleep(10); // the agent is not listening yet
    }
    return agent;
  }

  /** Whether a connection to {@code sock} succeeds (bound is not yet listening). */
  private static boolean accepts(Path sock) {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(sock));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A minimal engine: one reader thread, lines to a queue. */
  static final class Client implements AutoCloseable {
    private final SocketChannel ch;
    private final BlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();

    Client(Path sock) throws IOException {
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
                } catch (IOException e) {
                  // the socket closed: the benchmark is over
                }
              });
      t.setDaemon(true);
      t.start();
    }

    void send(String line) throws IOException {
      ch.write(java.nio.ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
    }

    JsonNode next(Duration timeout) throws InterruptedException {
      return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for the event that {@code resource} is now {@code state}; fails after 30 s. */
    void awaitEvent(String resource, String state) throws InterruptedException {
      while (true) {
        JsonNode e = next(Duration.ofSeconds(30));
        if (e == null) {
          throw new IllegalStateException("no " + state + " event for " + resource);
        }
        if (e.has("event")
            && e.path("resource").asText().equals(resource)
            && e.path("state").asText().equals(state)) {
          return;
        }
      }
    }

    /**
     * Returns once the agent reports {@code resource} ONLINE: asks (monitor) and then waits for the
     * event, since the change may come before or after the subscription.
     */
    void awaitOnline(String resource) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        int id = 900_000 + (int) (System.nanoTime() % 100_000);
        JsonNode r =
            call(id, "{\"id\":" + id + ",\"op\":\"monitor\",\"resource\":\"" + resource + "\"}");
        if ("ONLINE".equals(r.path("status").path("state").asText())) {
          return;
        }
        JsonNode e = next(Duration.ofMillis(200));
        if (e != null
            && e.has("event")
            && e.path("resource").asText().equals(resource)
            && e.path("state").asText().equals("ONLINE")) {
          return;
        }
      }
      throw new IllegalStateException(resource + " did not come ONLINE");
    }

    /** Sends request {@code id} and returns its reply (events in between are skipped). */
    JsonNode call(int id, String request) throws IOException, InterruptedException {
      send(request);
      while (true) {
        JsonNode e = next(Duration.ofSeconds(30));
        if (e == null) {
          throw new IllegalStateException("no reply to " + request);
        }
        if (e.path("id").asInt(-1) == id && !e.has("event")) {
          return e;
        }
      }
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }
}
