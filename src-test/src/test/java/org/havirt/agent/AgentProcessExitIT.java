package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13, point 12, for real: the daemon from the built distribution runs under a process limit
 * (RLIMIT_NPROC, as an unprivileged user of its own, since root ignores it), so starting a
 * connection's threads fails with "unable to create native thread". The accept loop cannot go on,
 * and the daemon must exit with status 1 (systemd restarts it) instead of living on with a dead
 * socket.
 */
class AgentProcessExitIT {
  static final Path HAVIRT = CliIT.HAVIRT;

  /** Tasks the unprivileged user may have: the agent starts with about 20 threads. */
  static final int NPROC = 40;

  /**
   * The user the agent runs as: one no account and no other process has, because RLIMIT_NPROC
   * counts every task of that user. As nobody (65534), whatever else ran as nobody on the machine
   * at that moment took from the same 40 (seen once: not even the first connection was served).
   */
  static final String UID = "64999";

  @TempDir Path dir;
  Process agent;
  final List<EngineClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (EngineClient c : clients) {
      c.close();
    }
    if (agent != null && agent.isAlive()) {
      agent.destroyForcibly();
      agent.waitFor(20, TimeUnit.SECONDS);
    }
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void whenNoThreadCanBeStartedForAConnectionTheDaemonExitsWithStatus1() throws Exception {
    assumeTrue(System.getProperty("user.name").equals("root"), "needs root to drop to nobody");
    assumeTrue(onPath("setpriv") && onPath("prlimit"), "needs setpriv and prlimit (util-linux)");
    assumeTrue(Files.isExecutable(HAVIRT), "needs the built distribution");
    assumeTrue(
        !Files.readString(Path.of("/etc/passwd")).contains(":" + UID + ":"),
        "uid " + UID + " has an account here; the test needs one nobody uses");
    // The unprivileged agent reads its config here and writes its socket, state and logs.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String d : List.of("run", "state", "log")) {
      Files.createDirectories(dir.resolve(d));
      Files.setPosixFilePermissions(dir.resolve(d), PosixFilePermissions.fromString("rwxrwxrwx"));
    }
    Files.writeString(dir.resolve("main.cf"), "group g ( SystemList = { n1 = 0 } )\n");
    Path socket = dir.resolve("run/agent.sock");
    ProcessBuilder pb =
        new ProcessBuilder(
                "setpriv",
                "--reuid=" + UID,
                "--regid=" + UID,
                "--clear-groups",
                "prlimit",
                "--nproc=" + NPROC,
                "--",
                HAVIRT.toString(),
                "agent",
                "-c",
                dir.resolve("main.cf").toString(),
                "--sys",
                "n1",
                "--socket",
                socket.toString(),
                "--allow-user",
                "root")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.out").toFile());
    // libvirt's in-process test driver: no libvirtd to reach as nobody, and no resources anyway.
    pb.environment().put("HAVIRT_LIBVIRT_URI", "test:///default");
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
    agent = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    // Ready is "agent ready" in its log, not the socket file: the file appears at bind(), before
    // listen(), and a connection in between is refused. Waiting for the file alone made this
    // test connect too early and see no connection served (two fresh-clone runs of fifteen).
    while (!output().contains("agent ready") && System.nanoTime() < deadline && agent.isAlive()) {
      Thread.sleep(50); // polling the agent's log, with a deadline
    }
    assertThat(output()).contains("agent ready");
    assertThat(socket).exists();

    // Each connection takes two threads: well before NPROC one cannot start.
    int served = 0;
    while (agent.isAlive() && clients.size() < NPROC) {
      EngineClient c;
      try {
        c = new EngineClient(socket);
      } catch (IOException e) {
        break; // the agent is closing its socket
      }
      clients.add(c);
      JsonNode r;
      try {
        r = c.call("status", Duration.ofSeconds(10));
      } catch (IOException e) {
        break; // reset: the agent could not serve it
      }
      if (r == null || !r.path("ok").asBoolean()) {
        break;
      }
      served++;
    }
    assertThat(served)
        .as("some connections were served first; the agent's output:%n%s", output())
        .isPositive();
    assertThat(agent.waitFor(60, TimeUnit.SECONDS))
        .as("the agent exited; its output:%n%s", output())
        .isTrue();
    assertThat(agent.exitValue()).as(output()).isEqualTo(1);
    assertThat(output())
        .contains("engine socket can no longer accept connections")
        .contains("unable to create native thread");
  }

  String output() throws IOException {
    Path out = dir.resolve("agent.out");
    return Files.exists(out) ? Files.readString(out) : "";
  }
}
