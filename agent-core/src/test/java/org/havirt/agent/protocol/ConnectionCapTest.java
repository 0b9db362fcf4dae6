package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** At most 64 connections at once; the next one gets a clear {@code busy} line (issue 13, 12). */
class ConnectionCapTest {
  static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;
  final TestAgent fixture = new TestAgent();
  final List<LineClient> clients = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (LineClient c : clients) {
      c.close();
    }
    fixture.close();
  }

  LineClient served(Path socket, int id) throws Exception {
    LineClient c = LineClient.reading(socket);
    clients.add(c);
    c.send("{\"id\":" + id + ",\"op\":\"status\"}");
    JsonNode r = c.reply(T);
    assertThat(r).as("reply to connection %d", id).isNotNull();
    assertThat(r.path("ok").asBoolean()).as("connection %d: %s", id, r).isTrue();
    return c;
  }

  /** Sends a request on a new connection; returns the first line back, a reply or a refusal. */
  static JsonNode firstLine(Path socket, String request) throws Exception {
    try (LineClient c = LineClient.reading(socket)) {
      try {
        c.send(request);
      } catch (java.io.IOException e) {
        // Refused (busy) and closed before the request went out: the line says so.
      }
      return c.json(T);
    }
  }

  @Test
  void the65thConnectionIsRefusedBusyWhileThe64AreServedAndAFreedPlaceIsTakenAgain()
      throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server = fixture.server(socket, SocketLimits.DEFAULTS, t -> {});
    server.start();
    for (int i = 1; i <= 64; i++) {
      served(socket, i);
    }

    try (LineClient extra = LineClient.reading(socket)) {
      try {
        extra.send("{\"id\":65,\"op\":\"status\"}");
      } catch (java.io.IOException e) {
        // The agent may have refused and closed before the request went out: the line tells.
      }
      JsonNode refusal = extra.json(T);
      assertThat(refusal).as("a line for the 65th connection").isNotNull();
      assertThat(refusal.path("ok").asBoolean()).as("%s", refusal).isFalse();
      assertThat(refusal.path("id").isNull()).isTrue();
      assertThat(refusal.path("error").path("code").asText()).isEqualTo("busy");
      assertThat(refusal.path("error").path("message").asText())
          .contains("64 connections")
          .contains("--max-connections");
      assertThat(extra.line(T)).as("nothing after the refusal").isNull();
      assertThat(extra.ended()).as("the agent closed the refused connection").isTrue();
    }
    assertThat(server.busyRefusals()).isEqualTo(1);

    // The 64 go on as before.
    for (int i = 0; i < clients.size(); i++) {
      clients.get(i).send("{\"id\":" + (100 + i) + ",\"op\":\"status\"}");
      assertThat(clients.get(i).reply(T)).as("connection %d after the refusal", i + 1).isNotNull();
    }

    // One leaves: its place is free once the agent has seen it go (polled, with a deadline).
    clients.remove(0).close();
    long until = System.nanoTime() + T.toNanos();
    JsonNode answer = null;
    while (System.nanoTime() < until) {
      answer = firstLine(socket, "{\"id\":200,\"op\":\"status\"}");
      if (answer != null && answer.path("ok").asBoolean()) {
        break;
      }
    }
    assertThat(answer).isNotNull();
    assertThat(answer.path("ok").asBoolean()).as("served in the freed place: %s", answer).isTrue();
  }

  @Test
  void theCapIsASetting() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server =
        fixture.server(socket, SocketLimits.DEFAULTS.withMaxConnections(2), t -> {});
    server.start();
    served(socket, 1);
    served(socket, 2);
    try (LineClient extra = LineClient.reading(socket)) {
      JsonNode refusal = extra.json(T);
      assertThat(refusal).isNotNull();
      assertThat(refusal.path("error").path("code").asText()).isEqualTo("busy");
      assertThat(refusal.path("error").path("message").asText()).contains("2 connections");
    }
    assertThat(server.busyRefusals()).isEqualTo(1);
  }

  @Test
  void aSubscriberThatLeftHoldsItsPlaceUntilTheNextEventToIt() throws Exception {
    Path socket = dir.resolve("a.sock");
    ProtocolServer server =
        fixture.server(socket, SocketLimits.DEFAULTS.withMaxConnections(1), t -> {});
    server.start();
    try (LineClient sub = LineClient.reading(socket)) {
      sub.send("{\"id\":1,\"op\":\"subscribe\"}");
      assertThat(sub.reply(T).path("subscribed").asBoolean()).isTrue();
    }
    // Gone, but EOF is all the agent saw, as from a subscriber that only half-closed: it keeps
    // the place (what docs/protocol.md says), and the next client is refused.
    try (LineClient next = LineClient.reading(socket)) {
      JsonNode r = next.json(T);
      assertThat(r).isNotNull();
      assertThat(r.path("error").path("code").asText()).isEqualTo("busy");
    }
    // An event to it fails, and that frees the place (polled, with a deadline).
    fixture.addResources(1);
    long until = System.nanoTime() + T.toNanos();
    JsonNode answer = null;
    while (System.nanoTime() < until) {
      answer = firstLine(socket, "{\"id\":2,\"op\":\"status\"}");
      if (answer != null && answer.path("ok").asBoolean()) {
        break;
      }
    }
    assertThat(answer).isNotNull();
    assertThat(answer.path("ok").asBoolean()).as("%s", answer).isTrue();
  }
}
