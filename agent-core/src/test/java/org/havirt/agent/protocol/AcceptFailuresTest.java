package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The accept loop never dies silently (issue 13, point 12): a failed accept backs off and goes on;
 * anything else that ends the loop reaches the fatal hook, which exits the daemon.
 */
class AcceptFailuresTest {
  static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;
  final TestAgent fixture = new TestAgent();
  final CompletableFuture<Throwable> fatal = new CompletableFuture<>();
  final List<Duration> waits = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  /** In a script: this accept takes the real connection. */
  static final Throwable ACCEPT = new Throwable("accept");

  /** Accepts as scripted, step by step; after the script, every accept is real. */
  static ProtocolServer.Acceptor scripted(ProtocolServer.Acceptor real, Throwable... script) {
    Deque<Throwable> steps = new ArrayDeque<>(List.of(script));
    return () -> {
      Throwable t = steps.poll();
      if (t == null || t == ACCEPT) {
        return real.accept();
      }
      if (t instanceof IOException io) {
        throw io;
      }
      if (t instanceof RuntimeException r) {
        throw r;
      }
      throw (Error) t;
    };
  }

  static IOException emfile() {
    return new IOException("Too many open files");
  }

  static JsonNode status(Path socket) throws Exception {
    try (LineClient c = LineClient.reading(socket)) {
      c.send("{\"id\":1,\"op\":\"status\"}");
      return c.reply(T);
    }
  }

  @Test
  void failedAcceptsBackOffDoublingAndTheServerGoesOnServing() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server =
        fixture
            .server(socket, SocketLimits.DEFAULTS, fatal::complete)
            .acceptVia(
                real ->
                    scripted(
                        real, emfile(), emfile(), emfile(), emfile(), emfile(), ACCEPT, emfile(),
                        emfile()))
            .sleepVia(waits::add);
    server.start();

    JsonNode first = status(socket);
    assertThat(first).as("a reply after five failed accepts").isNotNull();
    assertThat(first.path("ok").asBoolean()).isTrue();
    JsonNode second = status(socket);
    assertThat(second).as("a reply after two more").isNotNull();
    assertThat(second.path("ok").asBoolean()).isTrue();
    // 10 ms doubling, and a good accept starts the next burst from 10 ms again.
    assertThat(waits)
        .containsExactly(
            Duration.ofMillis(10),
            Duration.ofMillis(20),
            Duration.ofMillis(40),
            Duration.ofMillis(80),
            Duration.ofMillis(160),
            Duration.ofMillis(10),
            Duration.ofMillis(20));
    assertThat(fatal).as("a failed accept is not fatal").isNotDone();
  }

  @Test
  void aLongBurstWaitsAtMostOneSecondBetweenTriesAndNeverSpins() throws Exception {
    Path socket = dir.resolve("a.sock");
    CountDownLatch twelveWaits = new CountDownLatch(12);
    CountDownLatch never = new CountDownLatch(1);
    fixture
        .server(socket, SocketLimits.DEFAULTS, fatal::complete)
        .acceptVia(
            real ->
                () -> {
                  throw emfile();
                })
        .sleepVia(
            d -> {
              waits.add(d);
              twelveWaits.countDown();
              if (waits.size() >= 12) {
                never.await(); // the test has seen enough; park the loop until teardown
              }
            })
        .start();
    assertThat(twelveWaits.await(T.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(waits.subList(0, 12))
        .containsExactly(
            Duration.ofMillis(10),
            Duration.ofMillis(20),
            Duration.ofMillis(40),
            Duration.ofMillis(80),
            Duration.ofMillis(160),
            Duration.ofMillis(320),
            Duration.ofMillis(640),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1));
    assertThat(fatal).isNotDone();
  }

  @Test
  void anErrorInTheAcceptLoopRunsTheFatalHook() throws Exception {
    OutOfMemoryError oom =
        new OutOfMemoryError("unable to create native thread: possibly out of memory");
    fixture
        .server(dir.resolve("a.sock"), SocketLimits.DEFAULTS, fatal::complete)
        .acceptVia(real -> scripted(real, oom))
        .start();
    assertThat(fatal.get(T.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(oom);
  }

  /**
   * The systemd watchdog's view of the accept thread: healthy while it waits, not once it ended.
   */
  @Test
  void anEndedAcceptThreadIsAProblemForTheWatchdogAWaitingOneIsNot() throws Exception {
    ProtocolServer healthy = fixture.server(dir.resolve("h.sock"), SocketLimits.DEFAULTS, t -> {});
    assertThat(healthy.acceptProblem(T)).contains("the engine socket is not started");
    healthy.start();
    assertThat(status(dir.resolve("h.sock")).path("ok").asBoolean()).isTrue();
    assertThat(healthy.acceptProblem(T)).isEmpty();

    ProtocolServer dying =
        fixture
            .server(dir.resolve("a.sock"), SocketLimits.DEFAULTS, fatal::complete)
            .acceptVia(real -> scripted(real, new IllegalStateException("a bug")));
    dying.start();
    fatal.get(T.toMillis(), TimeUnit.MILLISECONDS);
    dying.acceptThread().join(T.toMillis());
    assertThat(dying.acceptProblem(T)).contains("the engine socket's accept thread has ended");
  }

  /** An accept thread held up on one connection is a problem while it lasts, and only then. */
  @Test
  void anAcceptThreadStuckAdmittingOneConnectionIsAProblemUntilItGoesOn() throws Exception {
    Path socket = dir.resolve("s.sock");
    CountDownLatch admitting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ProtocolServer server =
        fixture
            .server(socket, SocketLimits.DEFAULTS, fatal::complete)
            .admitVia(
                real ->
                    ch -> {
                      if (admitting.getCount() > 0) {
                        admitting.countDown();
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                      }
                      real.accept(ch);
                    });
    server.start();
    try (LineClient stuck = LineClient.reading(socket)) {
      assertThat(admitting.await(T.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      Duration stuckAfter = Duration.ofMillis(50);
      long end = System.nanoTime() + T.toNanos();
      while (server.acceptProblem(stuckAfter).isEmpty() && System.nanoTime() < end) {
        Thread.sleep(10); // polling with a deadline until 50 ms have passed
      }
      assertThat(server.acceptProblem(stuckAfter))
          .hasValueSatisfying(
              p ->
                  assertThat(p).startsWith("the engine socket's accept thread has been admitting"));

      release.countDown();
      stuck.send("{\"id\":1,\"op\":\"status\"}");
      assertThat(stuck.reply(T).path("ok").asBoolean()).isTrue();
      // The accept thread has gone back to accept() by now or just after: it is healthy again.
      long back = System.nanoTime() + T.toNanos();
      while (server.acceptProblem(stuckAfter).isPresent() && System.nanoTime() < back) {
        Thread.sleep(10); // polling with a deadline
      }
      assertThat(server.acceptProblem(stuckAfter)).isEmpty();
    }
  }

  @Test
  void anUnexpectedExceptionInTheAcceptLoopRunsTheFatalHook() throws Exception {
    IllegalStateException bug = new IllegalStateException("a bug");
    fixture
        .server(dir.resolve("a.sock"), SocketLimits.DEFAULTS, fatal::complete)
        .acceptVia(real -> scripted(real, bug))
        .start();
    assertThat(fatal.get(T.toMillis(), TimeUnit.MILLISECONDS)).isSameAs(bug);
  }

  @Test
  void aListeningSocketClosedBehindTheServersBackIsFatalNotRetried() throws Exception {
    // Retrying a closed channel would back off forever: a dead loop that looks alive.
    fixture
        .server(dir.resolve("a.sock"), SocketLimits.DEFAULTS, fatal::complete)
        .acceptVia(real -> scripted(real, new ClosedChannelException()))
        .sleepVia(waits::add)
        .start();
    assertThat(fatal.get(T.toMillis(), TimeUnit.MILLISECONDS))
        .isInstanceOf(ClosedChannelException.class);
    assertThat(waits).isEmpty();
  }

  @Test
  void closingTheServerEndsTheLoopWithoutTheFatalHook() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server = fixture.server(socket, SocketLimits.DEFAULTS, fatal::complete);
    server.start();
    assertThat(status(socket)).isNotNull();
    server.close();
    server.acceptThread().join(T.toMillis());
    assertThat(server.acceptThread().isAlive()).as("the accept loop ended").isFalse();
    assertThat(fatal).isNotDone();
  }
}
