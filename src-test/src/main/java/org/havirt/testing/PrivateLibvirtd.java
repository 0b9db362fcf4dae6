package org.havirt.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A libvirtd of the tests' own, everything under one directory: its configuration, socket, logs and
 * state. Two kinds:
 *
 * <ul>
 *   <li>{@link #testDriver}: only libvirt's in-memory test driver ({@code test:///default}); no
 *       privileges needed. Its state lives while any client is connected, so the fixture keeps a
 *       holder connection open.
 *   <li>{@link #qemu}: the real QEMU driver, as root, in a private mount namespace whose {@code
 *       /etc/libvirt}, {@code /run/libvirt} and {@code /var/{lib,cache,log}/libvirt} are
 *       bind-mounted from the directory, so nothing of the host's libvirt is touched. Guests run as
 *       real qemu processes (TCG). The daemon runs under {@code subreaper.py}, so a dead qemu is
 *       reaped at once as on a systemd host, whatever this machine's PID 1 does.
 * </ul>
 *
 * <p>{@link #close} destroys the guests, stops the daemon and kills any qemu left behind, so a
 * failing test leaves nothing running.
 */
public final class PrivateLibvirtd implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final boolean qemu;
  private final String uri;
  private final List<String> command;
  private final java.util.Map<String, String> env = new java.util.HashMap<>();
  private Process daemon;
  private Process holder;
  private java.io.OutputStream holderIn;

  private PrivateLibvirtd(Path dir, boolean qemu, String uri, List<String> command) {
    this.dir = dir;
    this.qemu = qemu;
    this.uri = uri;
    this.command = command;
  }

  /** Returns why QEMU daemons cannot run here, or empty when they can. */
  public static Optional<String> qemuUnavailable() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return Optional.of(
          "QEMU libvirtd fixture needs root (private mount namespace, qemu as root)");
    }
    for (String bin :
        List.of(
            "/usr/sbin/libvirtd",
            "/usr/bin/qemu-system-x86_64",
            "/usr/bin/unshare",
            "/usr/bin/python3")) {
      if (!Files.isExecutable(Path.of(bin))) {
        return Optional.of(
            bin
                + " is missing: install libvirt-daemon, qemu-system-x86, python3 (src-test/run-tests.sh does)");
      }
    }
    return Optional.empty();
  }

  /** Returns why the test-driver daemon cannot run here, or empty when it can. */
  public static Optional<String> testDriverUnavailable() {
    if (!Files.isExecutable(Path.of("/usr/sbin/libvirtd"))
        || !Files.isExecutable(Path.of("/usr/bin/virsh"))) {
      return Optional.of(
          "libvirtd/virsh missing: install libvirt-daemon, libvirt-clients (src-test/run-tests.sh does)");
    }
    return Optional.empty();
  }

  /** Starts a test-driver daemon under {@code dir}. */
  public static PrivateLibvirtd testDriver(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir.resolve("run"));
    Files.createDirectories(dir.resolve("nodrivers"));
    Files.writeString(
        dir.resolve("libvirtd.conf"), conf(dir.resolve("run"), dir.resolve("libvirtd.log"), null));
    String uri = "test+unix:///default?socket=" + dir.resolve("run/libvirt-sock");
    // An empty driver directory keeps the qemu/network/storage drivers out: the test driver is
    // built into libvirt.so and needs no module.
    List<String> cmd =
        List.of(
            "env",
            "LIBVIRT_DRIVER_DIR=" + dir.resolve("nodrivers"),
            "/usr/sbin/libvirtd",
            "-f",
            dir.resolve("libvirtd.conf").toString(),
            "-p",
            dir.resolve("libvirtd.pid").toString());
    PrivateLibvirtd d = new PrivateLibvirtd(dir, false, uri, cmd);
    d.start();
    return d;
  }

  /**
   * Starts a QEMU daemon under {@code dir}; {@code hostUuid} must differ between daemons that
   * migrate.
   */
  public static PrivateLibvirtd qemu(Path dir, String hostUuid)
      throws IOException, InterruptedException {
    return qemu(dir, hostUuid, null);
  }

  /**
   * As {@link #qemu(Path, String)}; incoming migrations listen only on {@code migrationAddress}
   * (e.g. 127.0.0.2) when it is not null, so a test can put a relay in front of it.
   */
  public static PrivateLibvirtd qemu(Path dir, String hostUuid, String migrationAddress)
      throws IOException, InterruptedException {
    return qemu(dir, hostUuid, migrationAddress, Duration.ZERO);
  }

  /**
   * As {@link #qemu(Path, String, String)}; a dead qemu is reaped only {@code reapDelay} after it
   * exits, like under an init that reaps late, so libvirtd notices that much later.
   */
  public static PrivateLibvirtd qemu(
      Path dir, String hostUuid, String migrationAddress, Duration reapDelay)
      throws IOException, InterruptedException {
    ensureQemuUser();
    for (String sub : List.of("etc", "run", "lib", "cache", "log", "sock")) {
      Files.createDirectories(dir.resolve(sub));
    }
    for (String mountPoint :
        List.of(
            "/etc/libvirt",
            "/run/libvirt",
            "/var/lib/libvirt",
            "/var/cache/libvirt",
            "/var/log/libvirt")) {
      Files.createDirectories(
          Path.of(mountPoint)); // empty mount points; the host's content is never used
    }
    Files.writeString(
        dir.resolve("etc/libvirtd.conf"),
        conf(dir.resolve("sock"), dir.resolve("libvirtd.log"), hostUuid));
    Files.writeString(
        dir.resolve("etc/qemu.conf"),
        String.join(
            "\n",
            "user = \"root\"",
            "group = \"root\"",
            "dynamic_ownership = 0",
            "remember_owner = 0",
            "security_driver = \"none\"",
            "stdio_handler = \"file\"",
            "namespaces = [ ]",
            "cgroup_controllers = [ ]",
            migrationAddress == null ? "" : "migration_address = \"" + migrationAddress + "\"",
            ""));
    String script =
        "mount --bind "
            + dir.resolve("etc")
            + " /etc/libvirt"
            + " && mount --bind "
            + dir.resolve("run")
            + " /run/libvirt"
            + " && mount --bind "
            + dir.resolve("lib")
            + " /var/lib/libvirt"
            + " && mount --bind "
            + dir.resolve("cache")
            + " /var/cache/libvirt"
            + " && mount --bind "
            + dir.resolve("log")
            + " /var/log/libvirt"
            + " && exec /usr/sbin/libvirtd -f "
            + dir.resolve("etc/libvirtd.conf")
            + " -p "
            + dir.resolve("libvirtd.pid");
    String uri = "qemu+unix:///system?socket=" + dir.resolve("sock/libvirt-sock");
    Path reaper = dir.resolve("subreaper.py");
    try (var in = PrivateLibvirtd.class.getResourceAsStream("subreaper.py")) {
      Files.write(reaper, in.readAllBytes());
    }
    PrivateLibvirtd d =
        new PrivateLibvirtd(
            dir,
            true,
            uri,
            List.of(
                "python3",
                reaper.toString(),
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                script));
    if (!reapDelay.isZero()) {
      d.env.put("SUBREAPER_DELAY_MS", Long.toString(reapDelay.toMillis()));
    }
    d.start();
    return d;
  }

  private static String conf(Path sockDir, Path log, String hostUuid) {
    StringBuilder sb =
        new StringBuilder()
            .append("unix_sock_dir = \"")
            .append(sockDir)
            .append("\"\n")
            .append("unix_sock_rw_perms = \"0770\"\n")
            .append("auth_unix_rw = \"none\"\n")
            .append("auth_unix_ro = \"none\"\n")
            .append("log_outputs = \"3:file:")
            .append(log)
            .append("\"\n");
    if (hostUuid != null) {
      // SMBIOS is unreadable here; migration needs each daemon to have its own host UUID.
      sb.append("host_uuid = \"").append(hostUuid).append("\"\n");
    }
    return sb.toString();
  }

  private static void ensureQemuUser() throws IOException, InterruptedException {
    // libvirtd's qemu driver resolves its compiled-in user before reading qemu.conf.
    run(
        List.of(
            "sh",
            "-c",
            "getent group kvm >/dev/null || groupadd -r kvm; "
                + "getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu; "
                + "id libvirt-qemu >/dev/null 2>&1 || useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -M -s /usr/sbin/nologin libvirt-qemu"),
        Duration.ofSeconds(30));
  }

  private void start() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("libvirtd.out").toFile());
    pb.environment().putAll(env);
    daemon = pb.start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!daemon.isAlive()) {
        throw new IllegalStateException(
            "libvirtd exited with "
                + daemon.exitValue()
                + ": "
                + tail(dir.resolve("libvirtd.out")));
      }
      if (run(List.of("virsh", "-q", "-c", uri, "uri"), Duration.ofSeconds(5)).exit == 0) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "libvirtd did not answer within "
                + START_TIMEOUT
                + ": "
                + tail(dir.resolve("libvirtd.out")));
      }
      Thread.sleep(25); // polling a socket that is not there yet; there is no event to wait for
    }
    if (!qemu) {
      // The test driver forgets everything when its last client leaves: hold a connection open,
      // and know it is open before anyone else connects (an interactive virsh that answered).
      // No keepalive: a frozen daemon (freeze()) must not make the holder leave and the state
      // vanish.
      holder = new ProcessBuilder("virsh", "-k", "0", "-c", uri).redirectErrorStream(true).start();
      holderIn = holder.getOutputStream();
      holderIn.write("uri\n".getBytes(StandardCharsets.UTF_8));
      holderIn.flush();
      java.io.BufferedReader r =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      Thread drain =
          new Thread(
              () -> {
                try {
                  while (r.readLine() != null) {
                    // keep the pipe from filling
                  }
                } catch (IOException e) {
                  // closed
                }
              },
              "libvirtd-holder-drain");
      String line;
      while ((line = r.readLine()) != null) {
        if (line.contains("test+unix://")) {
          break;
        }
      }
      if (line == null) {
        throw new IllegalStateException("the holder connection to " + uri + " did not answer");
      }
      drain.setDaemon(true);
      drain.start();
    }
  }

  /** Returns the URI clients use to reach this daemon. */
  public String uri() {
    return uri;
  }

  public Path dir() {
    return dir;
  }

  public boolean isQemu() {
    return qemu;
  }

  /** Runs virsh against this daemon; throws with virsh's output if it fails. */
  public String virsh(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", uri));
    cmd.addAll(List.of(args));
    Result r = run(cmd, Duration.ofSeconds(60));
    if (r.exit != 0) {
      throw new IllegalStateException(
          "virsh " + String.join(" ", args) + " failed (" + r.exit + "): " + r.output);
    }
    return r.output;
  }

  /** Kills the daemon with SIGKILL (guests of a QEMU daemon keep running). */
  public void kill() throws InterruptedException {
    // A QEMU daemon runs under subreaper.py, which its death signal takes down with it: wait
    // for libvirtd itself, or a restart could find the old one still holding its pid file.
    List<ProcessHandle> libvirtd =
        daemon.children().filter(c -> c.info().command().orElse("").endsWith("libvirtd")).toList();
    daemon.destroyForcibly();
    daemon.waitFor(10, TimeUnit.SECONDS);
    for (ProcessHandle h : libvirtd) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new IllegalStateException("libvirtd " + h.pid() + " outlived its subreaper", e);
      }
    }
    if (holder != null) {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Freezes libvirtd with SIGSTOP: its sockets stay open but nothing answers, like a daemon hung in
   * a kernel call or a stuck driver lock. {@link #thaw} resumes it.
   */
  public void freeze() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** Resumes a daemon {@link #freeze frozen} before (SIGCONT). */
  public void thaw() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String sig) throws IOException, InterruptedException {
    String pid = Files.readString(dir.resolve("libvirtd.pid")).trim();
    Result r = run(List.of("kill", "-" + sig, pid), Duration.ofSeconds(5));
    if (r.exit != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " failed: " + r.output);
    }
  }

  /** Starts the daemon again after {@link #kill}, with the same directory and URI. */
  public void restart() throws IOException, InterruptedException {
    start();
  }

  /** Returns the pid of a running QEMU guest's qemu process. */
  public long qemuPid(String guest) throws IOException {
    return Long.parseLong(Files.readString(dir.resolve("run/qemu/" + guest + ".pid")).trim());
  }

  @Override
  public void close() throws IOException {
    try {
      stopEverything();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping libvirtd in " + dir, e);
    }
  }

  private void stopEverything() throws IOException, InterruptedException {
    if (qemu && daemon.isAlive()) {
      Result list =
          run(List.of("virsh", "-q", "-c", uri, "list", "--name"), Duration.ofSeconds(10));
      for (String name : list.output.split("\n")) {
        if (!name.isBlank()) {
          run(List.of("virsh", "-q", "-c", uri, "destroy", name.trim()), Duration.ofSeconds(20));
        }
      }
    }
    kill();
    if (qemu) {
      // qemu outlives libvirtd; anything left from a killed daemon is killed by its pid file.
      Path pids = dir.resolve("run/qemu");
      if (Files.isDirectory(pids)) {
        try (Stream<Path> files = Files.list(pids)) {
          for (Path p : files.filter(f -> f.toString().endsWith(".pid")).toList()) {
            run(List.of("kill", "-9", Files.readString(p).trim()), Duration.ofSeconds(5));
          }
        }
      }
    }
  }

  /** The outcome of a command. */
  public record Result(int exit, String output) {}

  /** Runs a command with a deadline, returning its exit code and combined output. */
  public static Result run(List<String> cmd, Duration timeout)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("havirt-cmd", ".out");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return new Result(-1, "timed out after " + timeout + ": " + String.join(" ", cmd));
      }
      return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static String tail(Path file) {
    try {
      String s = Files.readString(file);
      return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
    } catch (IOException e) {
      return "(no output)";
    }
  }
}
