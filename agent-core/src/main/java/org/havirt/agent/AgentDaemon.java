package org.havirt.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.backend.Backends;
import org.havirt.agent.core.Agent;
import org.havirt.agent.core.AgentLoop;
import org.havirt.agent.core.BackendEntryRunner;
import org.havirt.agent.engine.PacemakerFaults;
import org.havirt.agent.protocol.ProtocolServer;
import org.havirt.agent.protocol.ResourceCatalog;
import org.havirt.agent.protocol.SocketLimits;
import org.havirt.config.ConfigModel;
import org.havirt.config.ResourceResolver;
import org.havirt.config.TypeCatalog;
import org.havirt.types.ShippedTypes;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent daemon, wired: backends, the control loop, the resources of this system, and the engine
 * socket. {@link #close} stops serving and releases everything; it never stops a VM.
 */
public final class AgentDaemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentDaemon.class);

  /**
   * What the daemon needs to start.
   *
   * @param system this node's system name
   * @param socket the engine socket's path
   * @param allowedUsers who may use the socket
   * @param threads how many entry points may run at once
   * @param maxConnections how many socket connections are served at once
   */
  public record Options(
      String system,
      Path socket,
      Set<String> allowedUsers,
      VmBackendFactory.Settings node,
      int threads,
      String version,
      int maxConnections,
      Optional<String> socketGroup) {
    /** The options with the socket's group left as the agent's own. */
    public Options(
        String system,
        Path socket,
        Set<String> allowedUsers,
        VmBackendFactory.Settings node,
        int threads,
        String version,
        int maxConnections) {
      this(system, socket, allowedUsers, node, threads, version, maxConnections, Optional.empty());
    }

    /** The options with the default connection cap. */
    public Options(
        String system,
        Path socket,
        Set<String> allowedUsers,
        VmBackendFactory.Settings node,
        int threads,
        String version) {
      this(
          system,
          socket,
          allowedUsers,
          node,
          threads,
          version,
          SocketLimits.DEFAULT_MAX_CONNECTIONS);
    }
  }

  private final AgentLoop loop;
  private final Backends backends;
  private final BackendEntryRunner runner;
  private final Agent agent;
  private final ProtocolServer server;
  private final int managed;
  private final CompletableFuture<Throwable> socketDead;

  private AgentDaemon(
      AgentLoop loop,
      Backends backends,
      BackendEntryRunner runner,
      Agent agent,
      ProtocolServer server,
      int managed,
      CompletableFuture<Throwable> socketDead) {
    this.loop = loop;
    this.backends = backends;
    this.runner = runner;
    this.agent = agent;
    this.server = server;
    this.managed = managed;
    this.socketDead = socketDead;
  }

  /** Starts the daemon for a configuration that has already been checked. */
  public static AgentDaemon start(ConfigModel model, TypeCatalog catalog, Options o)
      throws IOException {
    ResourceResolver resolver = new ResourceResolver(model, catalog);
    AgentLoop loop = new AgentLoop(Ticker.SYSTEM);
    Agent[] holder = new Agent[1];
    // The RHEV backend must know which RHEV host this node is: its PhysicalServer, else its name.
    Map<String, String> node = new java.util.HashMap<>(o.node().values());
    node.putIfAbsent("rhev.host", resolver.hypervisorOf(o.system()));
    Backends backends =
        Backends.discover(
            new VmBackendFactory.Settings(node),
            (guest, detail) -> {
              Agent a = holder[0];
              if (a != null) {
                a.hint(guest);
              }
            });
    BackendEntryRunner runner =
        new BackendEntryRunner(backends, Ticker.SYSTEM, resolver::hypervisorOf, o.threads());
    Agent agent = new Agent(loop, runner, Clock.systemUTC());
    holder[0] = agent;
    loop.start();
    int managed = 0;
    for (ConfigModel.PlacedResource r : model.resources()) {
      if (r.group().isEmpty() || !ConfigModel.systemList(r.group().get()).contains(o.system())) {
        continue;
      }
      agent.add(
          r.resource().name(),
          r.resource().type(),
          resolver.resolve(r.resource().name(), o.system()).orElseThrow().spec());
      managed++;
    }
    ResourceCatalog types =
        new ResourceCatalog() {
          @Override
          public List<String> types() {
            return catalog.types().keySet().stream()
                .filter(t -> !t.equals(ShippedTypes.FRAMEWORK_TYPE))
                .toList();
          }

          @Override
          public GuestSpec resolve(
              String resource,
              String type,
              Optional<GuestSpec> base,
              Map<String, AttributeValue> values) {
            return resolver.specFor(resource, type, base, values);
          }
        };
    // Under Pacemaker, a fault is pushed to it at once instead of waiting for its next monitor.
    PacemakerFaults faults = PacemakerFaults.withCrmResource();
    agent.subscribe(faults::onStatus);
    CompletableFuture<Throwable> socketDead = new CompletableFuture<>();
    ProtocolServer server =
        new ProtocolServer(
            o.socket(),
            o.allowedUsers(),
            agent,
            types,
            (res, target) -> resolver.migrationRefusal(res, o.system(), target),
            o.version(),
            Clock.systemUTC(),
            faults,
            SocketLimits.DEFAULTS.withMaxConnections(o.maxConnections()),
            socketDead::complete);
    o.socketGroup().ifPresent(server::socketGroup);
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      // Another agent owns the socket (or it cannot be bound): this one must leave nothing running.
      try {
        loop.stop();
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
      runner.close();
      backends.close();
      throw e;
    }
    log.info("agent ready system={} resources={} socket={}", o.system(), managed, o.socket());
    return new AgentDaemon(loop, backends, runner, agent, server, managed, socketDead);
  }

  /**
   * Queues {@code task} to run on the agent loop: the systemd watchdog's heartbeat. Thread-safe.
   */
  public void heartbeat(Runnable task) {
    loop.post(task);
  }

  /**
   * Returns why the engine socket cannot accept connections (its accept thread ended, or is stuck
   * admitting one for longer than {@code stuckAfter}), or empty if it can. Thread-safe.
   */
  public Optional<String> acceptProblem(Duration stuckAfter) {
    return server.acceptProblem(stuckAfter);
  }

  public Agent agent() {
    return agent;
  }

  /** Returns how many configured resources this system manages. */
  public int managed() {
    return managed;
  }

  /**
   * Completes, with the cause, if the engine socket can no longer accept connections. The daemon is
   * then useless to every engine while it looks alive: whoever runs it must end the process
   * non-zero so that it is restarted ({@code havirt agent} does). Thread-safe.
   */
  public CompletableFuture<Throwable> socketFailure() {
    return socketDead.copy();
  }

  /** Stops serving and releases backends; VMs are left exactly as they are. */
  @Override
  public void close() {
    log.info("agent stopping");
    try {
      server.close();
    } catch (IOException e) {
      log.warn("engine socket close failed err={}", e.getMessage());
    }
    try {
      loop.stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    runner.close();
    backends.close();
  }
}
