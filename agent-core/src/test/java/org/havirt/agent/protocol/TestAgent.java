package org.havirt.agent.protocol;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.havirt.agent.core.Agent;
import org.havirt.agent.core.AgentLoop;
import org.havirt.agent.core.EntryRunner;
import org.havirt.agent.engine.PacemakerFaults;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/**
 * A real agent whose entry points answer at once (a monitor finds the guest shut off), and the
 * engine sockets in front of it: what only the socket does, without a hypervisor. Not thread-safe;
 * one per test.
 */
final class TestAgent implements AutoCloseable {
  final AgentLoop loop = new AgentLoop(Ticker.SYSTEM);
  final Agent agent;
  private final List<ProtocolServer> servers = new ArrayList<>();

  TestAgent() {
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
  }

  /** A socket server for this agent, not started, closed with this fixture. */
  ProtocolServer server(Path socket, SocketLimits limits, Consumer<Throwable> onFatal) {
    return server(socket, limits, onFatal, java.util.Set.of(System.getProperty("user.name")));
  }

  /** As above, serving the users {@code allowed}. */
  ProtocolServer server(
      Path socket,
      SocketLimits limits,
      Consumer<Throwable> onFatal,
      java.util.Set<String> allowed) {
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
    ProtocolServer s =
        new ProtocolServer(
            socket,
            allowed,
            agent,
            catalog,
            (r, t) -> Optional.empty(),
            "test",
            Clock.systemUTC(),
            new PacemakerFaults((argv, deadline) -> 0),
            limits,
            onFatal);
    servers.add(s);
    return s;
  }

  /** Adds resources x0..x(n-1) and waits until each is added (two events each). */
  void addResources(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      agent
          .add(
              "x" + i,
              "KVMGuest",
              new GuestSpec("x" + i, Map.of("GuestName", new AttributeValue.Scalar("g" + i))))
          .get();
    }
  }

  @Override
  public void close() throws IOException {
    for (ProtocolServer s : servers) {
      s.close();
    }
    try {
      loop.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
