package org.havirt.nemesis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One node's real agent daemon: {@code bin/havirt agent} from the built distribution, a process of
 * its own, with its own socket, state directory and logs. Its standard output (the journal lines)
 * goes to the event ring and to the listeners, line by line.
 *
 * <p>Faults use {@link #kill9}, {@link #start}, {@link #freeze} and {@link #thaw}; the node
 * remembers whether it is meant to be down or frozen, so an exit nobody asked for is told apart
 * ({@link #unexpectedExit}). Thread-safe: the methods are synchronized; the listeners run on the
 * output reader's thread.
 */
public final class AgentNode {
  /**
   * The distribution's launcher: {@code -Dhavirt.dist}, else packaging/target/havirt from the top
   * directory or from a module's (where Maven runs the tests).
   */
  public static final Path HAVIRT = launcher();

  private static Path launcher() {
    String dist = System.getProperty("havirt.dist");
    if (dist != null) {
      return Path.of(dist, "bin/havirt").toAbsolutePath();
    }
    Path top = Path.of("packaging/target/havirt/bin/havirt").toAbsolutePath();
    return Files.isExecutable(top)
        ? top
        : Path.of("../packaging/target/havirt/bin/havirt").toAbsolutePath().normalize();
  }

  private static final Duration READY = Duration.ofSeconds(90);

  private final String name;
  private final Path dir;
  private final List<String> args;
  private final Map<String, String> env;
  private final EventRing ring;
  private final List<BiConsumer<String, String>> listeners = new CopyOnWriteArrayList<>();
  private final List<Path> isolated = new ArrayList<>();
  private Process process;
  private volatile boolean meantDown = true;
  private volatile boolean frozen;
  private volatile String unexpectedExit;
  private volatile long starts;

  /**
   * @param name the system name ({@code --sys})
   * @param dir the node's directory: socket, state and logs go under it
   * @param extraArgs more {@code havirt agent} options (libvirt URI, migrate URI, ...)
   * @param env more environment
   */
  public AgentNode(
      String name, Path dir, List<String> extraArgs, Map<String, String> env, EventRing ring)
      throws IOException {
    this.name = name;
    this.dir = dir;
    this.ring = ring;
    this.env = Map.copyOf(env);
    Files.createDirectories(dir.resolve("log"));
    Files.createDirectories(dir.resolve("state"));
    Files.createDirectories(dir.resolve("conf"));
    List<String> a = new ArrayList<>();
    a.add(HAVIRT.toString());
    a.add("agent");
    a.add("--sys");
    a.add(name);
    a.add("--socket");
    a.add(socket().toString());
    a.add("--state-dir");
    a.add(dir.resolve("state").toString());
    a.add("--allow-user");
    a.add(System.getProperty("user.name"));
    a.addAll(extraArgs);
    this.args = List.copyOf(a);
  }

  public String name() {
    return name;
  }

  public Path dir() {
    return dir;
  }

  public Path socket() {
    return dir.resolve("agent.sock");
  }

  /**
   * Runs the daemon in a mount namespace of its own (root only), where each of {@code dirs} is
   * bind-mounted onto itself, so {@link #remount} can make one read-only for this agent alone. Call
   * before {@link #start}.
   */
  public synchronized void isolate(List<Path> dirs) {
    isolated.addAll(dirs);
  }

  /** Whether the daemon runs in a mount namespace of its own. */
  public boolean isolated() {
    return !isolated.isEmpty();
  }

  /**
   * Remounts an isolated directory read-only or read-write, for this agent alone; returns false if
   * that failed (the agent is down).
   */
  public synchronized boolean remount(Path dir, boolean readOnly)
      throws IOException, InterruptedException {
    if (process == null || !process.isAlive()) {
      return false;
    }
    Process p =
        new ProcessBuilder(
                "nsenter",
                "-t",
                Long.toString(process.pid()),
                "-m",
                "mount",
                "-o",
                "remount,bind," + (readOnly ? "ro" : "rw"),
                dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    boolean ok = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    if (!ok) {
      // A fault the harness cannot inject is dropped; the reason must be in the events.
      ring.add(
          "fault",
          "cannot remount "
              + dir
              + (readOnly ? " read-only" : " read-write")
              + " for "
              + name
              + ": "
              + out);
    }
    return ok;
  }

  /** Adds a listener of the agent's output lines: (node, line). */
  public void onLine(BiConsumer<String, String> l) {
    listeners.add(l);
  }

  /** Starts the daemon and waits for "agent ready" in its output. */
  public synchronized void start() throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (!isolated.isEmpty()) {
      // unshare execs (no fork), so the process's pid is the agent's, in its own namespace.
      StringBuilder script = new StringBuilder();
      for (Path d : isolated) {
        script.append("mount --bind '").append(d).append("' '").append(d).append("' && ");
      }
      script.append("exec \"$0\" \"$@\"");
      cmd.addAll(
          List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script.toString()));
    }
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    pb.environment().put("HAVIRT_CONF_DIR", dir.resolve("conf").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    process = p;
    meantDown = false;
    frozen = false;
    starts++;
    long generation = starts;
    Object ready = new Object();
    boolean[] isReady = {false};
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  ring.add("agent " + name, line);
                  for (var l : listeners) {
                    l.accept(name, line);
                  }
                  if (line.contains("agent ready")) {
                    synchronized (ready) {
                      isReady[0] = true;
                      ready.notifyAll();
                    }
                  }
                }
              } catch (IOException e) {
                // the process ended
              }
              exited(p, generation);
              synchronized (ready) {
                ready.notifyAll();
              }
            },
            "nemesis-agent-" + name);
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + READY.toNanos();
    synchronized (ready) {
      while (!isReady[0] && p.isAlive()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("agent " + name + " not ready within " + READY);
        }
        ready.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
      }
    }
    if (!isReady[0]) {
      throw new IllegalStateException("agent " + name + " exited at start: " + p.exitValue());
    }
  }

  private void exited(Process p, long generation) {
    int status;
    try {
      status = p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    synchronized (this) {
      if (generation == starts && !meantDown) {
        unexpectedExit = "agent " + name + " exited by itself with status " + status;
        ring.add("observer", unexpectedExit);
      }
    }
  }

  /** Kills the daemon with SIGKILL and waits for it to be gone. */
  public synchronized void kill9() throws InterruptedException {
    meantDown = true;
    if (process != null) {
      if (frozen) {
        process.destroyForcibly(); // SIGKILL works on a stopped process too
      }
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
    frozen = false;
  }

  /** Stops the daemon with SIGSTOP: its socket stays, nothing answers. */
  public synchronized void freeze() throws IOException, InterruptedException {
    frozen = true;
    signal("STOP");
  }

  /** Resumes a frozen daemon (SIGCONT). */
  public synchronized void thaw() throws IOException, InterruptedException {
    signal("CONT");
    frozen = false;
  }

  private void signal(String sig) throws IOException, InterruptedException {
    Process k =
        new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid()))
            .redirectErrorStream(true)
            .start();
    k.waitFor(5, TimeUnit.SECONDS);
  }

  /** Whether it is running and not frozen, as far as the harness meant it. */
  public boolean meantUp() {
    return !meantDown && !frozen;
  }

  /** Whether the process is alive now. */
  public synchronized boolean alive() {
    return process != null && process.isAlive();
  }

  /** Why the daemon ended when nobody asked it to, or null. */
  public String unexpectedExit() {
    return unexpectedExit;
  }

  /** Stops it for good at the end (SIGKILL: guests are left alone either way). */
  public void close() {
    try {
      if (frozen) {
        thaw();
      }
      kill9();
    } catch (IOException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
