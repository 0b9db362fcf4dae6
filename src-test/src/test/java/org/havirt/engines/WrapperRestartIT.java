package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine wrappers (OCF agent, VCS-style entry points) when the agent goes away in the middle of
 * an action, against a fake agent socket whose every step the test controls: a request that only
 * reads is sent again; one that changes the guest is settled by a fresh monitor, never guessed.
 */
class WrapperRestartIT {
  static final Path OCF =
      Path.of("..", "packaging", "target", "havirt", "ocf", "KVMGuest")
          .toAbsolutePath()
          .normalize();
  static final Path VCS =
      Path.of("..", "packaging", "target", "havirt", "vcs", "KVMGuest", "ep")
          .toAbsolutePath()
          .normalize();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  FakeAgent agent;

  /**
   * A fake agent: answers every request from {@link #state}, except the ops in {@link #dropOnce},
   * whose first request closes the connection unanswered (the agent died while it ran them).
   */
  static final class FakeAgent implements AutoCloseable {
    final ServerSocketChannel server;
    final Set<String> dropOnce = ConcurrentHashMap.newKeySet();
    final List<String> ops = new CopyOnWriteArrayList<>();
    volatile String state = "ONLINE";

    /** The reply's guestAbsent (docs/protocol.md); null: left out, as an older agent does. */
    volatile Boolean guestAbsent;

    /** Connections refused as over the agent's connection cap (id null, then closed). */
    final java.util.concurrent.atomic.AtomicInteger refuseConnections =
        new java.util.concurrent.atomic.AtomicInteger();

    /** Requests refused because the resource's previous entry point is stuck. */
    final java.util.concurrent.atomic.AtomicInteger refuseStuck =
        new java.util.concurrent.atomic.AtomicInteger();

    final Thread acceptor;

    FakeAgent(Path path) throws IOException {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path));
      acceptor = new Thread(this::accept, "fake-agent");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void accept() {
      while (server.isOpen()) {
        try {
          SocketChannel ch = server.accept();
          Thread t = new Thread(() -> serve(ch), "fake-agent-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(SocketChannel ch) {
      try (ch) {
        if (refuseConnections.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          ch.write(
              ByteBuffer.wrap(
                  ("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":"
                          + "\"64 connections are open\"}}\n")
                      .getBytes()));
          return;
        }
        StringBuilder buf = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (ch.read(b.clear()) > 0) {
          buf.append(StandardCharsets.UTF_8.decode(b.flip()));
          int nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            JsonNode req = JSON.readTree(buf.substring(0, nl));
            buf.delete(0, nl + 1);
            String op = req.path("op").asText();
            ops.add(op);
            if (dropOnce.remove(op)) {
              return; // died while running it
            }
            if (refuseStuck.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              ch.write(
                  ByteBuffer.wrap(
                      ("{\"id\":"
                              + req.path("id").asLong()
                              + ",\"ok\":false,\"error\":{\"code\":\"busy\","
                              + "\"message\":\"online is still running in the backend\"}}\n")
                          .getBytes()));
              continue;
            }
            ObjectNode reply = JSON.createObjectNode();
            reply.put("id", req.path("id").asLong());
            reply.put("ok", true);
            reply.put("exec", "done");
            reply.put("reason", "fake " + op);
            ObjectNode status = reply.putObject("status");
            status.put("state", state);
            status.put("confidence", 100);
            status.put("reason", "fake state");
            if (guestAbsent != null) {
              reply.put("guestAbsent", guestAbsent);
            }
            ch.write(ByteBuffer.wrap((JSON.writeValueAsString(reply) + "\n").getBytes()));
          }
        }
      } catch (IOException e) {
        // the wrapper went away
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  @AfterEach
  void tearDown() throws IOException {
    if (agent != null) {
      agent.close();
    }
  }

  record Run(int exit, String out) {}

  /**
   * Waits until {@code p} (or the interpreter it became) sleeps in the client's connect backoff:
   * the agent is away and the wrapper is waiting for it. Returns false if it ended first (a wrapper
   * that gives up at once). Deterministic: no guess at how long a start-up takes.
   */
  static boolean awaitBackoff(Process p) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < until) {
      if (!p.isAlive()) {
        return false;
      }
      List<ProcessHandle> all = new java.util.ArrayList<>(List.of(p.toHandle()));
      p.descendants().forEach(all::add);
      for (ProcessHandle h : all) {
        try {
          if (Files.readString(Path.of("/proc", String.valueOf(h.pid()), "wchan"))
              .contains("nanosleep")) {
            return true;
          }
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
      Thread.sleep(5); // polling /proc, bounded by the deadline above
    }
    throw new AssertionError("the wrapper neither waited nor ended within 30 s");
  }

  /** Starts {@code cmd} with {@code env}; the caller waits for it with {@link #finish}. */
  static Process launch(Map<String, String> env, String... cmd) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    return pb.start();
  }

  static Run finish(Process p) throws IOException, InterruptedException {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  Run run(Map<String, String> env, String... cmd) throws IOException, InterruptedException {
    return finish(launch(env, cmd));
  }

  Run ocf(String action) throws Exception {
    return run(
        Map.of(
            "OCF_ROOT", "/usr/lib/ocf",
            "OCF_RESOURCE_INSTANCE", "vm1",
            "OCF_RESKEY_GuestName", "g1",
            "OCF_RESKEY_peers", "hvB",
            "OCF_RESKEY_socket", dir.resolve("agent.sock").toString(),
            "OCF_RESKEY_CRM_meta_timeout", "10000"),
        OCF.toString(),
        action);
  }

  Process launchVcs(String ep, String... args) throws IOException {
    String[] cmd = new String[args.length + 2];
    cmd[0] = VCS.toString();
    cmd[1] = ep;
    System.arraycopy(args, 0, cmd, 2, args.length);
    return launch(Map.of("HAVIRT_SOCKET", dir.resolve("agent.sock").toString()), cmd);
  }

  Run vcs(String ep, String... args) throws Exception {
    return finish(launchVcs(ep, args));
  }

  @Test
  void aStartWhoseAgentDiedIsSettledByAFreshMonitor() throws Exception {
    agent = new FakeAgent(dir.resolve("agent.sock"));
    agent.dropOnce.add("online");
    agent.state = "ONLINE";
    Run started = ocf("start");
    assertThat(started.exit()).as(started.out()).isZero();
    assertThat(started.out()).contains("settling by a fresh monitor");
    assertThat(agent.ops).as("online is never sent twice").containsOnlyOnce("online");
    assertThat(agent.ops.get(agent.ops.size() - 1)).isEqualTo("monitor");

    agent.dropOnce.add("online");
    agent.state = "OFFLINE";
    Run failed = ocf("start");
    assertThat(failed.exit())
        .as("the monitor says it is not running: " + failed.out())
        .isEqualTo(1);
  }

  @Test
  void aStopWhoseAgentDiedIsSettledByAFreshMonitor() throws Exception {
    agent = new FakeAgent(dir.resolve("agent.sock"));
    agent.dropOnce.add("offline");
    agent.state = "OFFLINE";
    Run stopped = ocf("stop");
    assertThat(stopped.exit()).as(stopped.out()).isZero();
    agent.dropOnce.add("offline");
    agent.dropOnce.add("clean");
    agent.state = "ONLINE";
    Run failed = ocf("stop");
    assertThat(failed.exit())
        .as("still running: never claim stopped: " + failed.out())
        .isEqualTo(1);
  }

  @Test
  void aMonitorIsSentAgainOnANewConnection() throws Exception {
    agent = new FakeAgent(dir.resolve("agent.sock"));
    agent.dropOnce.add("monitor");
    Run m = ocf("monitor");
    assertThat(m.exit()).as(m.out()).isZero();
    assertThat(agent.ops.stream().filter("monitor"::equals).count()).isEqualTo(2);
    agent.dropOnce.add("monitor");
    Run v = vcs("monitor", "vm1", "GuestName", "1", "g1");
    assertThat(v.exit()).as(v.out()).isEqualTo(110);
  }

  @Test
  void anAgentThatComesBackWithinTheDeadlineIsWaitedFor() throws Exception {
    Path sock = dir.resolve("agent.sock");
    Process monitor = launchVcs("monitor", "vm1", "GuestName", "1", "g1", "AEPTimeout", "1", "20");
    boolean waiting = awaitBackoff(monitor);
    agent = new FakeAgent(sock); // the agent is back
    Run v = finish(monitor);
    assertThat(waiting).as("it waited for the agent: " + v.out()).isTrue();
    assertThat(v.exit()).as(v.out()).isEqualTo(110);
    agent.dropOnce.add("clean");
    agent.state = "OFFLINE";
    Run c = vcs("clean", "vm1", "0", "GuestName", "1", "g1");
    assertThat(c.exit()).as("settled: the monitor says it is off: " + c.out()).isZero();
    assertThat(Files.exists(sock)).isTrue();
  }

  @Test
  void notRunningOrStoppedOnlyWhenTheAgentIsCertainTheGuestIsNotHere() throws Exception {
    agent = new FakeAgent(dir.resolve("agent.sock"));
    agent.state = "UNKNOWN";
    agent.guestAbsent = true;
    Run m = ocf("monitor");
    assertThat(m.exit()).as(m.out()).isEqualTo(7);
    assertThat(ocf("stop").exit()).isZero();
    Run v = vcs("monitor", "vm1", "GuestName", "1", "g1");
    assertThat(v.exit()).as("VCS: UNKNOWN until validation passes (spec §3)").isEqualTo(99);
    agent.guestAbsent = false;
    assertThat(ocf("monitor").exit()).as("UNKNOWN, not certain").isEqualTo(1);
    assertThat(ocf("stop").exit()).isEqualTo(1);
    agent.guestAbsent = null;
    assertThat(ocf("monitor").exit()).as("an agent that does not say").isEqualTo(1);
    assertThat(ocf("stop").exit()).isEqualTo(1);
    agent.state = "ONLINE";
    agent.guestAbsent = true;
    assertThat(ocf("monitor").exit()).as("only an UNKNOWN state is read so").isZero();
  }

  @Test
  void aBusyAgentIsAskedAgainNotTakenForAnAnswer() throws Exception {
    agent = new FakeAgent(dir.resolve("agent.sock"));
    agent.refuseConnections.set(3);
    Run m = ocf("monitor");
    assertThat(m.exit()).as("over the connection cap for a moment: " + m.out()).isZero();
    agent.refuseStuck.set(2);
    Run s = ocf("start");
    assertThat(s.exit()).as("refused while stuck, then run: " + s.out()).isZero();
    assertThat(agent.ops).contains("online");
  }
}
