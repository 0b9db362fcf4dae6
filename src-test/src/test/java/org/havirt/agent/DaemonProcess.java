package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code havirt agent} from the built distribution as systemd runs it, with no libvirtd (libvirt's
 * in-process test driver), its output in a file. Not thread-safe.
 */
final class DaemonProcess implements AutoCloseable {
  final Process process;
  final Path out;
  final Path socket;

  /**
   * Starts the agent on {@code socket} with {@code env} added, writing to {@code out}; {@code args}
   * follow {@code havirt agent}.
   */
  DaemonProcess(Path dir, Path socket, Path out, Map<String, String> env, String... args)
      throws IOException {
    this(List.of(), dir, socket, out, env, args);
  }

  /** As above, run under {@code wrapper} (e.g. strace and its options). */
  DaemonProcess(
      List<String> wrapper,
      Path dir,
      Path socket,
      Path out,
      Map<String, String> env,
      String... args)
      throws IOException {
    this.out = out;
    this.socket = socket;
    List<String> argv = new ArrayList<>(wrapper);
    argv.addAll(
        List.of(
            CliIT.HAVIRT.toString(),
            "agent",
            "--sys",
            "n1",
            "--socket",
            socket.toString(),
            "--allow-user",
            System.getProperty("user.name")));
    argv.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().put("HAVIRT_LIBVIRT_URI", "test:///default");
    pb.environment().put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
    pb.environment().put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
    // No main.cf there unless a test writes one: the agent runs with no resources.
    pb.environment().put("HAVIRT_CONF_DIR", dir.toString());
    pb.environment().remove("NOTIFY_SOCKET");
    pb.environment().remove("WATCHDOG_USEC");
    pb.environment().remove("WATCHDOG_PID");
    pb.environment().putAll(env);
    process = pb.start();
  }

  long pid() {
    return process.pid();
  }

  String output() throws IOException {
    return Files.exists(out) ? Files.readString(out) : "";
  }

  /** Waits, up to {@code within}, until the output contains {@code text}; returns whether. */
  boolean awaitOutput(String text, Duration within) throws IOException, InterruptedException {
    long end = System.nanoTime() + within.toNanos();
    while (!output().contains(text) && System.nanoTime() < end) {
      Thread.sleep(50); // polling a file with a deadline
    }
    return output().contains(text);
  }

  /** Returns the agent's answer to a status request on its socket. */
  JsonNode status() throws Exception {
    try (EngineClient c = new EngineClient(socket)) {
      return c.call("status", Duration.ofSeconds(10));
    }
  }

  /** Waits, up to {@code within}, until the socket answers a status request. */
  void awaitServing(Duration within) throws Exception {
    long end = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < end && process.isAlive()) {
      try {
        if (status().path("ok").asBoolean()) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50); // polling the socket with a deadline
    }
    throw new AssertionError("the agent never served its socket; output:\n" + output());
  }

  /** Waits for the process to end on its own; returns its exit status. */
  int awaitExit(Duration within) throws Exception {
    assertThat(process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS))
        .as("the agent exited; output:%n%s", output())
        .isTrue();
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
