package org.havirt.agent.protocol;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.havirt.agent.core.Agent;
import org.havirt.types.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine socket: a Unix domain stream socket (mode 0660) speaking protocol v1 (one JSON object
 * per line). Each peer's user, read from the kernel (SO_PEERCRED), must be on the allow list. Up to
 * {@link SocketLimits#maxConnections} engines and CLI clients are served at once; the next one is
 * refused with {@code busy}. Failed accepts (EMFILE...) back off and go on; anything that ends the
 * accept loop otherwise runs the fatal hook. Thread-safe; {@link #start} once, before use.
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
  private final AtomicLong tooSlowDrops = new AtomicLong();
  private final LogLimiter busyLog = new LogLimiter(Ticker.SYSTEM, Duration.ofSeconds(10));
  private final Semaphore places;
  private volatile ScheduledThreadPoolExecutor reaper;
  private UnaryOperator<Acceptor> acceptVia = a -> a;
  private UnaryOperator<Consumer<SocketChannel>> admitVia = a -> a;
  private Sleeper sleeper = d -> Thread.sleep(d.toMillis());
  private Optional<String> socketGroup = Optional.empty();
  private ServerSocketChannel server;
  private Thread acceptThread;
  private volatile boolean closed;
  private final Ticker ticker = Ticker.SYSTEM;
  private volatile long admitSince;

  /** Takes the next connection off the socket: a seam for tests that make accept fail. */
  interface Acceptor {
    SocketChannel accept() throws IOException;
  }

  /** Waits between failed accepts: a seam for tests that watch the back-off. */
  interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  /**
   * @param limits what the socket takes on before it refuses or drops a client
   * @param onFatal runs once, on the accept thread, if the socket can no longer accept connections
   *     (after the error is logged); the daemon wires it to its exit
   */
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
    this.places = new Semaphore(limits.maxConnections());
  }

  /** Test seam, before {@link #start}: wraps how connections are accepted. */
  ProtocolServer acceptVia(UnaryOperator<Acceptor> wrap) {
    this.acceptVia = wrap;
    return this;
  }

  /**
   * Before {@link #start}: the socket (0660) and its directory (0750) get group {@code group}, so a
   * non-root engine in that group can reach the socket; the allow list (SO_PEERCRED) still decides
   * who is served. The directory must be the socket's own: owned by this process's user and
   * writable by nobody else (as /run/havirt), never a shared one such as /tmp.
   */
  public ProtocolServer socketGroup(String group) {
    this.socketGroup = Optional.of(group);
    return this;
  }

  /** Test seam, before {@link #start}: wraps how an accepted connection is admitted. */
  ProtocolServer admitVia(UnaryOperator<Consumer<SocketChannel>> wrap) {
    this.admitVia = wrap;
    return this;
  }

  /** Test seam, before {@link #start}: how the accept loop waits after a failed accept. */
  ProtocolServer sleepVia(Sleeper s) {
    this.sleeper = s;
    return this;
  }

  /** Returns how many clients were dropped with {@code too_slow} since the start. */
  public long tooSlowDrops() {
    return tooSlowDrops.get();
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
    Optional<GroupPrincipal> group =
        socketGroup.isEmpty() ? Optional.empty() : Optional.of(group(dir));
    removeStale();
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    if (group.isPresent()) {
      PosixFileAttributeView sock =
          Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      sock.setGroup(group.get());
      PosixFileAttributeView d =
          Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
      d.setGroup(group.get());
      d.setPermissions(PosixFilePermissions.fromString("rwxr-x---"));
    }
    reaper =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "havirt-socket-reaper");
              t.setDaemon(true);
              return t;
            });
    // Its thread now, not at the first drop: that runs on an agent thread, which must not fail.
    reaper.prestartAllCoreThreads();
    Thread t = new Thread(this::acceptLoop, "havirt-socket-accept");
    t.setDaemon(true);
    acceptThread = t;
    t.start();
    log.info(
        "engine socket listening path={} allowed={} maxConnections={} maxQueuedBytes={}",
        path,
        allowedUsers,
        limits.maxConnections(),
        limits.maxQueuedBytes());
  }

  /**
   * Looks up the socket group and checks that {@code dir} is the socket's own directory: giving a
   * shared directory (/tmp, /run) a group and mode 0750 would break everything else in it.
   */
  private GroupPrincipal group(Path dir) throws IOException {
    String name = socketGroup.orElseThrow();
    if (dir == null) {
      throw new IOException("--socket-group: the socket " + path + " has no directory");
    }
    GroupPrincipal g;
    try {
      g = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(name);
    } catch (UserPrincipalNotFoundException e) {
      throw new IOException("--socket-group: no group named '" + name + "'", e);
    }
    PosixFileAttributes a =
        Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal me =
        dir.getFileSystem()
            .getUserPrincipalLookupService()
            .lookupPrincipalByName(System.getProperty("user.name"));
    Set<PosixFilePermission> p = a.permissions();
    boolean onlyTheSocket;
    try (var entries = Files.list(dir)) {
      onlyTheSocket = entries.allMatch(e -> e.getFileName().equals(path.getFileName()));
    }
    if (!a.isDirectory()
        || !a.owner().equals(me)
        || p.contains(PosixFilePermission.OTHERS_WRITE)
        || p.contains(PosixFilePermission.GROUP_WRITE)
        || !onlyTheSocket) {
      throw new IOException(
          "--socket-group: the socket's directory "
              + dir
              + " must be its own: a directory owned by "
              + me.getName()
              + " that nobody else may write and that holds nothing but the socket (such as"
              + " /run/havirt), not a shared one");
    }
    return g;
  }

  /**
   * A socket file left by a dead agent is removed; a live agent's socket is never taken over, and a
   * path that is not a socket (an administrator's file, a typo in --socket) is never deleted. Only
   * a refused connection (ECONNREFUSED: nobody listens) proves the socket dead; any other failure
   * (EACCES, EAGAIN of a full backlog) leaves it alone and refuses to start.
   */
  private void removeStale() throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(path + " exists and is not a socket; it is left alone");
    }
    try {
      SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
    } catch (ConnectException e) {
      log.info("engine socket file left by an agent that is gone; replacing it path={}", path);
      Files.delete(path);
      return;
    } catch (IOException e) {
      throw new IOException(
          "cannot tell whether another agent is listening on " + path + ": " + e.getMessage(), e);
    }
    throw new IOException(
        "another agent is listening on " + path + "; stop it first (systemctl stop havirt)");
  }

  /** The file type bits of st_mode, and a socket's. */
  private static final int S_IFMT = 0170000;

  private static final int S_IFSOCK = 0140000;

  /**
   * Returns why the accept thread cannot serve engines, or empty if it can: it has ended, or it has
   * been admitting one connection for longer than {@code stuckAfter}. A thread waiting in accept()
   * for the next engine is healthy. Thread-safe; for the systemd watchdog.
   */
  public Optional<String> acceptProblem(Duration stuckAfter) {
    Thread t = acceptThread;
    if (t == null) {
      return Optional.of("the engine socket is not started");
    }
    if (closed) {
      return Optional.of("the engine socket is closed");
    }
    if (!t.isAlive()) {
      return Optional.of("the engine socket's accept thread has ended");
    }
    long since = admitSince;
    if (since != 0 && ticker.nanoTime() - since > stuckAfter.toNanos()) {
      return Optional.of(
          "the engine socket's accept thread has been admitting one connection for "
              + Duration.ofNanos(ticker.nanoTime() - since).toMillis()
              + " ms");
    }
    return Optional.empty();
  }

  /**
   * Accepts until the server closes. Whatever else ends it (an Error such as "unable to create
   * native thread", a bug, the listening socket closed behind our back) goes to the fatal hook: a
   * daemon that can no longer accept must exit so that systemd restarts it, not live on deaf.
   */
  private void acceptLoop() {
    try {
      serve();
    } catch (Throwable t) {
      if (closed) {
        return;
      }
      log.error(
          "engine socket can no longer accept connections; the agent exits so that it is"
              + " restarted err={}",
          t.toString(),
          t);
      try {
        onFatal.accept(t);
      } catch (Throwable e) {
        log.error("engine socket fatal hook failed err={}", e.toString(), e);
      }
    }
  }

  private void serve() throws IOException, InterruptedException {
    Acceptor acceptor = acceptVia.apply(server::accept);
    Consumer<SocketChannel> admission = admitVia.apply(this::admit);
    AcceptBackoff backoff = new AcceptBackoff();
    while (!closed) {
      SocketChannel ch;
      try {
        ch = acceptor.accept();
      } catch (ClosedChannelException e) {
        if (closed) {
          return;
        }
        throw e; // nobody may close the listening socket but close(): retrying it would be deaf
      } catch (IOException e) {
        if (closed) {
          return;
        }
        // EMFILE, ENFILE, ENOMEM, ECONNABORTED...: they pass; wait, and never spin a CPU.
        Duration wait = backoff.failed();
        if (backoff.failures() == 1) {
          log.warn(
              "engine socket accept failed; retrying, waiting up to {} ms between tries err={}",
              AcceptBackoff.MAX.toMillis(),
              e.getMessage());
        }
        sleeper.sleep(wait);
        continue;
      }
      if (backoff.failures() > 0) {
        log.info("engine socket accepts again after failedAccepts={}", backoff.failures());
        backoff.succeeded();
      }
      // Never 0 while admitting: 0 means "waiting in accept".
      admitSince = ticker.nanoTime() | 1;
      try {
        admission.accept(ch);
      } finally {
        admitSince = 0;
      }
    }
  }

  /** Serves an accepted connection, or refuses it with one line: forbidden, or busy. */
  private void admit(SocketChannel ch) {
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
      refuse(ch, "forbidden", "user " + user + " may not use this agent's socket");
      return;
    }
    if (!places.tryAcquire()) {
      busyRefusals.incrementAndGet();
      long held = busyLog.permit();
      if (held >= 0) {
        log.warn(
            "engine socket refused a connection, {} open already user={} refusedSinceLastLog={}",
            limits.maxConnections(),
            user,
            held + 1);
      }
      refuse(
          ch,
          "busy",
          limits.maxConnections()
              + " connections are open, the most this agent serves at once (--max-connections);"
              + " try again when one has closed");
      return;
    }
    Connection c =
        new Connection(
            ch,
            n + ":" + user,
            sink -> new RequestHandler(agent, catalog, version, wall, migrations, faults, sink),
            agent::subscribe,
            limits,
            reaper,
            places::release,
            tooSlowDrops::incrementAndGet);
    try {
      c.start();
    } catch (Throwable t) {
      c.close(); // frees its place; the Error itself ends the loop
      throw t;
    }
  }

  /**
   * Writes one error line and closes. The channel is fresh and nobody else uses it: non-blocking,
   * the write can never hold up the accept loop (a short line fits its empty buffer anyway).
   */
  private static void refuse(SocketChannel ch, String code, String message) {
    try (ch) {
      ch.configureBlocking(false);
      String line = Json.error(null, code, message) + "\n";
      ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      // gone already
    }
  }

  public Path path() {
    return path;
  }

  /** Stops accepting and removes the socket file; connections already open are not closed. */
  @Override
  public void close() throws IOException {
    closed = true;
    if (reaper != null) {
      reaper.shutdown(); // drops scheduled for later still run: a deaf client is still closed
    }
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(path);
  }
}
