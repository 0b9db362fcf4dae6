package org.havirt.agent.protocol;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.havirt.agent.core.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine socket: a Unix domain stream socket (mode 0660) speaking protocol v1 (one JSON object
 * per line). Each peer's user, read from the kernel (SO_PEERCRED), must be on the allow list. Any
 * number of engines and CLI clients may be connected.
 */
public final class ProtocolServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProtocolServer.class);

  private final Path path;
  private final Set<String> allowedUsers;
  private final Agent agent;
  private final ResourceCatalog catalog;
  private final MigrationPolicy migrations;
  private final String version;
  private final Clock wall;
  private final org.havirt.agent.engine.PacemakerFaults faults;
  private final SocketLimits limits;
  private final Consumer<Throwable> onFatal;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicLong busyRefusals = new AtomicLong();
  private UnaryOperator<Acceptor> acceptVia = a -> a;
  private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
  private ServerSocketChannel server;
  private Thread acceptThread;
  private volatile boolean closed;

  /** Takes the next connection off the socket: a seam for tests that make accept fail. */
  interface Acceptor {
    SocketChannel accept() throws IOException;
  }

  /** Waits between failed accepts: a seam for tests that watch the back-off. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  public ProtocolServer(
      Path path,
      Set<String> allowedUsers,
      Agent agent,
      ResourceCatalog catalog,
      MigrationPolicy migrations,
      String version,
      Clock wall,
      org.havirt.agent.engine.PacemakerFaults faults,
      SocketLimits limits,
      Consumer<Throwable> onFatal) {
    this.path = path;
    this.allowedUsers = Set.copyOf(allowedUsers);
    this.agent = agent;
    this.catalog = catalog;
    this.migrations = migrations;
    this.version = version;
    this.wall = wall;
    this.faults = faults;
    this.limits = limits;
    this.onFatal = onFatal;
  }

  /** Test seam, before {@link #start}: wraps how connections are accepted. */
  ProtocolServer acceptVia(UnaryOperator<Acceptor> wrap) {
    this.acceptVia = wrap;
    return this;
  }

  /** Test seam, before {@link #start}: how the accept loop waits after a failed accept. */
  ProtocolServer sleepVia(Sleeper s) {
    this.sleeper = s;
    return this;
  }

  /** Test seam: the thread of the accept loop, once started. */
  Thread acceptThread() {
    return acceptThread;
  }

  /** Returns how many connections were refused with {@code busy} since the start. */
  public long busyRefusals() {
    return busyRefusals.get();
  }

  /** Binds the socket and starts accepting; returns once clients can connect. */
  public void start() throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    removeStale();
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    Thread t = new Thread(this::acceptLoop, "havirt-socket-accept");
    t.setDaemon(true);
    acceptThread = t;
    t.start();
    log.info("engine socket listening path={} allowed={}", path, allowedUsers);
  }

  /** A socket file left by a dead agent is removed; a live agent's socket is never taken over. */
  private void removeStale() throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    boolean live;
    try {
      SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
      live = true;
    } catch (IOException e) {
      live = false;
    }
    if (live) {
      throw new IOException("another agent is listening on " + path);
    }
    Files.delete(path);
  }

  private void acceptLoop() {
    Acceptor acceptor = acceptVia.apply(server::accept);
    while (!closed) {
      SocketChannel ch;
      try {
        ch = acceptor.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("engine socket accept failed err={}", e.getMessage());
        }
        return;
      }
      String user;
      try {
        UnixDomainPrincipal who = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        user = who.user().getName();
      } catch (IOException | UnsupportedOperationException e) {
        user = "?";
      }
      int n = connections.incrementAndGet();
      if (!allowedUsers.contains(user)) {
        log.warn("engine socket refused peer user={} allowed={}", user, allowedUsers);
        refuse(ch, user);
        continue;
      }
      Connection c =
          new Connection(
              ch,
              n + ":" + user,
              sink -> new RequestHandler(agent, catalog, version, wall, migrations, faults, sink),
              agent::subscribe);
      c.start();
    }
  }

  private static void refuse(SocketChannel ch, String user) {
    try (ch) {
      String line =
          Json.error(null, "forbidden", "user " + user + " may not use this agent's socket")
                  .toString()
              + "\n";
      ch.write(java.nio.ByteBuffer.wrap(line.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // gone already
    }
  }

  public Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(path);
  }
}
