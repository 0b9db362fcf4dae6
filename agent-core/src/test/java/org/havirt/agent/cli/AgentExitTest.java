package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** How {@code havirt agent} ends: 0 when stopped, non-zero and bounded when its socket died. */
class AgentExitTest {
  @Test
  void aDeadSocketEndsTheDaemonNonZero() throws Exception {
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    CompletableFuture<Throwable> dead = new CompletableFuture<>();
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> await(stopped, dead));
    dead.complete(new OutOfMemoryError("unable to create native thread"));
    assertThat(code.get(10, TimeUnit.SECONDS)).isEqualTo(HavirtMain.EXIT_PROBLEM).isNotZero();
  }

  @Test
  void aStopEndsTheDaemonWithZero() throws Exception {
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    CompletableFuture<Throwable> dead = new CompletableFuture<>();
    CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> await(stopped, dead));
    stopped.complete(null);
    assertThat(code.get(10, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void aShutdownThatHangsIsCutShortByAHaltWithTheSameCode() throws Exception {
    CompletableFuture<Integer> halted = new CompletableFuture<>();
    long t0 = System.nanoTime();
    AgentExit.armHalt(HavirtMain.EXIT_PROBLEM, Duration.ofMillis(200), halted::complete);
    assertThat(halted.get(10, TimeUnit.SECONDS)).isEqualTo(HavirtMain.EXIT_PROBLEM);
    assertThat(Duration.ofNanos(System.nanoTime() - t0))
        .as("not before the bound")
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void withoutAThreadForTheWatchdogTheJvmIsHaltedAtOnce() throws Exception {
    CompletableFuture<Integer> halted = new CompletableFuture<>();
    AgentExit.armHalt(
        HavirtMain.EXIT_PROBLEM,
        Duration.ofHours(1),
        halted::complete,
        r ->
            new Thread(r) {
              @Override
              public synchronized void start() {
                throw new OutOfMemoryError("unable to create native thread");
              }
            });
    assertThat(halted).as("halted before armHalt returned").isCompletedWithValue(1);
  }

  @Test
  void maxConnectionsIsAnOptionOfAtLeastOne() {
    AgentCommand c = new AgentCommand();
    new CommandLine(c).parseArgs("-c", "/nonexistent/main.cf");
    assertThat(c.maxConnections).isEqualTo(64);
    c = new AgentCommand();
    new CommandLine(c).parseArgs("-c", "/nonexistent/main.cf", "--max-connections", "200");
    assertThat(c.maxConnections).isEqualTo(200);

    StringWriter err = new StringWriter();
    CommandLine cl = HavirtMain.commandLine().setErr(new PrintWriter(err));
    // Refused before the configuration is read: nothing starts.
    assertThat(cl.execute("agent", "-c", "/nonexistent/main.cf", "--max-connections", "0"))
        .isEqualTo(HavirtMain.EXIT_USAGE);
    assertThat(err.toString()).contains("--max-connections must be at least 1");
  }

  static int await(CompletableFuture<Void> stopped, CompletableFuture<Throwable> dead) {
    try {
      return AgentExit.await(stopped, dead);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
