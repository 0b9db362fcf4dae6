package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the agent holds for a client that does not keep up is capped in bytes, not lines (issue 13,
 * point 12): past the cap the client is dropped with a reason, and nobody else notices.
 */
class QueuedBytesTest {
  static final Duration T = Duration.ofSeconds(20);
  @TempDir Path dir;
  final TestAgent fixture = new TestAgent();

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  /** Reads lines until the connection ends; returns the last one. */
  static JsonNode lastLineBeforeTheEnd(LineClient c) throws Exception {
    JsonNode last = null;
    JsonNode n;
    while ((n = c.json(T)) != null) {
      last = n;
    }
    assertThat(c.ended()).as("the agent closed the connection (no line for %s)", T).isTrue();
    return last;
  }

  @Test
  void aSubscriberThatFallsBehindIsDroppedWithAReasonWhileAnotherGetsEveryEvent() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server =
        fixture.server(socket, new SocketLimits(64, 256 * 1024, Duration.ofSeconds(30)), t -> {});
    server.start();
    try (LineClient slow = LineClient.connect(socket);
        LineClient fast = LineClient.reading(socket)) {
      fast.send("{\"id\":1,\"op\":\"subscribe\"}");
      assertThat(fast.reply(T).path("subscribed").asBoolean()).isTrue();
      slow.send("{\"id\":1,\"op\":\"subscribe\"}");
      assertThat(slow.firstLine()).contains("\"subscribed\":true");

      // 4,000 resources, two events each: about 2 MB for each subscriber, 6,000 lines (fewer than
      // the 10,000 lines the agent used to hold for a client).
      fixture.addResources(4000);

      // The last event is the probe of the last resource: read up to it.
      java.util.Set<String> seen = new java.util.HashSet<>();
      JsonNode n;
      do {
        n = fast.json(T);
        assertThat(n).as("an event for the reading subscriber (%d seen)", seen.size()).isNotNull();
        seen.add(n.path("resource").asText());
      } while (!(n.path("resource").asText().equals("x3999")
          && n.path("state").asText().equals("OFFLINE")));
      assertThat(seen).as("the subscriber that reads gets every resource's events").hasSize(4000);

      assertThat(server.tooSlowDrops()).as("the slow one dropped, the other not").isEqualTo(1);
      slow.startReading();
      JsonNode last = lastLineBeforeTheEnd(slow);
      assertThat(last).as("the reason, last").isNotNull();
      assertThat(last.path("ok").asBoolean()).as("%s", last).isFalse();
      assertThat(last.path("error").path("code").asText()).isEqualTo("too_slow");
      assertThat(last.path("error").path("message").asText()).contains("262144 bytes");
      assertThat(slow.bytesRead()).as("far less than the 2 MB sent").isLessThan(1024 * 1024);

      fast.send("{\"id\":2,\"op\":\"status\",\"resource\":\"x3999\"}");
      assertThat(fast.reply(T).path("ok").asBoolean()).as("still served").isTrue();
    }
  }

  @Test
  void aClientThatDoesNotReadItsRepliesIsDroppedAfterFewLongLines() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server = fixture.server(socket, SocketLimits.DEFAULTS, t -> {});
    server.start();
    fixture.addResources(2000); // a status of all of them is one line of about 400 KB
    try (LineClient deaf = LineClient.connect(socket)) {
      for (int i = 0; i < 30; i++) {
        deaf.send("{\"id\":" + i + ",\"op\":\"status\"}");
      }
      // 30 lines, 12 MB: far fewer lines than the old line cap, far more bytes than 1 MiB. The
      // client reads only once the agent gave up on it.
      long until = System.nanoTime() + T.toNanos();
      while (server.tooSlowDrops() == 0 && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
      }
      assertThat(server.tooSlowDrops()).as("the agent dropped the client").isEqualTo(1);
      // A request after the drop is not run: its reply could never reach the client.
      deaf.send(
          "{\"id\":99,\"op\":\"add\",\"resource\":\"late\",\"attributes\":{\"GuestName\":\"late\"}}");
      deaf.startReading();
      JsonNode last = lastLineBeforeTheEnd(deaf);
      assertThat(last).isNotNull();
      assertThat(last.path("error").path("code").asText()).as("%s", last).isEqualTo("too_slow");
      assertThat(last.path("error").path("message").asText()).contains("1048576 bytes");
      assertThat(deaf.bytesRead()).as("about one reply, then the reason").isLessThan(2L << 20);
    }
    assertThat(fixture.agent.status(java.util.Optional.empty()).get())
        .extracting(st -> st.name())
        .doesNotContain("late")
        .hasSize(2000);
    assertThat(status(socket)).as("the agent serves others as before").isNotNull();
  }

  @Test
  void aDroppedClientThatNeverReadsIsClosedAfterTheGraceAndItsPlaceIsFree() throws Exception {
    Path socket = dir.resolve("a.sock");
    // One place only: the next client is served only once the deaf one is really closed.
    ProtocolServer server =
        fixture.server(socket, new SocketLimits(1, 16 * 1024, Duration.ofMillis(300)), t -> {});
    server.start();
    fixture.addResources(300);
    try (LineClient deaf = LineClient.connect(socket)) {
      for (int i = 0; i < 30; i++) {
        deaf.send("{\"id\":" + i + ",\"op\":\"status\"}");
      }
      long until = System.nanoTime() + T.toNanos();
      while (server.tooSlowDrops() == 0 && System.nanoTime() < until) {
        java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
      }
      assertThat(server.tooSlowDrops()).isEqualTo(1);
      // It never reads: the grace ends the connection all the same (polled, with a deadline).
      JsonNode answer = null;
      while (System.nanoTime() < until) {
        answer = status(socket);
        if (answer != null && !answer.path("error").path("code").asText().equals("busy")) {
          break;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
      }
      assertThat(answer).isNotNull();
      assertThat(answer.path("error").path("code").asText())
          .as("served in the deaf client's place: %s", answer)
          .isEqualTo("no_such_resource");
    }
  }

  static JsonNode status(Path socket) throws Exception {
    try (LineClient c = LineClient.reading(socket)) {
      try {
        c.send("{\"id\":9,\"op\":\"status\",\"resource\":\"none\"}");
      } catch (java.io.IOException e) {
        // Refused (busy) and closed before the request went out: the line says so.
      }
      return c.reply(T);
    }
  }
}
