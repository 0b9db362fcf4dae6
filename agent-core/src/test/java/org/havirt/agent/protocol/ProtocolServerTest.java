package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.core.Agent;
import org.havirt.agent.core.AgentLoop;
import org.havirt.agent.core.EntryRunner;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket server with an agent whose entry points answer at once: what only the socket does. */
class ProtocolServerTest {
  @TempDir Path dir;
  AgentLoop loop;
  Agent agent;
  ProtocolServer server;
  Path socket;

  final List<List<String>> pacemakerCalls = new java.util.concurrent.CopyOnWriteArrayList<>();
  final org.havirt.agent.engine.PacemakerFaults faults =
      new org.havirt.agent.engine.PacemakerFaults(
          (argv, deadline) -> {
            pacemakerCalls.add(argv);
            return 0;
          });

  @BeforeEach
  void setUp() throws IOException {
    loop = new AgentLoop(Ticker.SYSTEM);
    EntryRunner instant =
        (g, inv) ->
            CompletableFuture.completedFuture(
                inv.entryPoint() == EntryPoint.MONITOR
                    ? new EntryResult(
                        EntryPoint.MONITOR,
                        ExecStatus.DONE,
                        Optional.of(MonitorResult.offline("instant: shut off")),
                        0,
                        "m",
                        "")
                    : EntryResult.done(inv.entryPoint(), "instant"));
    agent = new Agent(loop, instant, Clock.systemUTC());
    loop.start();
    socket = dir.resolve("agent.sock");
    ResourceCatalog catalog =
        new ResourceCatalog() {
          @Override
          public List<String> types() {
            return List.of("KVMGuest");
          }

          @Override
          public GuestSpec resolve(
              String r, String t, Optional<GuestSpec> b, Map<String, AttributeValue> v) {
            return new GuestSpec(r, v);
          }
        };
    server =
        new ProtocolServer(
            socket,
            Set.of(System.getProperty("user.name")),
            agent,
            catalog,
            (r, t) -> Optional.empty(),
            "test",
            Clock.systemUTC(),
            faults,
            // 16 KiB owed at most per connection, so a deaf client is over it quickly.
            new SocketLimits(64, 16 * 1024, java.time.Duration.ofSeconds(5)),
            t -> {});
    server.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close();
    loop.stop();
  }

  @Test
  void aSubscriberThatNeverReadsIsDroppedAndEverythingElseGoesOn() throws Exception {
    try (SocketChannel deaf = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      deaf.connect(UnixDomainSocketAddress.of(socket));
      deaf.write(
          ByteBuffer.wrap("{\"id\":1,\"op\":\"subscribe\"}\n".getBytes(StandardCharsets.UTF_8)));
      // Wait until the subscription exists: the deaf client's own reply is the proof.
      ByteBuffer first = ByteBuffer.allocate(256);
      while (!new String(first.array(), 0, first.position(), StandardCharsets.UTF_8)
          .contains("\"subscribed\"")) {
        deaf.read(first);
      }
      // Each add publishes two events: far more than the socket buffer and 16 KiB queued.
      for (int i = 0; i < 3000; i++) {
        agent.add(
            "x" + i,
            "KVMGuest",
            new GuestSpec("x" + i, Map.of("GuestName", new AttributeValue.Scalar("g" + i))));
      }
      assertThat(agent.status(Optional.empty()).get().size()).isEqualTo(3000);
      // The agent dropped the connection: draining it ends in EOF, not in a wait for more.
      ByteBuffer bb = ByteBuffer.allocate(1 << 16);
      int n;
      long bytes = 0;
      while ((n = deaf.read(bb.clear())) > 0) {
        bytes += n;
      }
      assertThat(n).isEqualTo(-1);
      assertThat(bytes).as("far less than the %d events sent", 6000).isLessThan(6000L * 100);
    }
    // The agent serves new clients as before.
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      c.write(
          ByteBuffer.wrap(
              "{\"id\":2,\"op\":\"status\",\"resource\":\"x2999\"}\n"
                  .getBytes(StandardCharsets.UTF_8)));
      ByteBuffer bb = ByteBuffer.allocate(4096);
      while (!new String(bb.array(), 0, bb.position(), StandardCharsets.UTF_8).contains("\n")) {
        c.read(bb);
      }
      assertThat(new String(bb.array(), 0, bb.position(), StandardCharsets.UTF_8))
          .contains("\"ok\":true")
          .contains("x2999");
    }
  }
}
