package org.havirt.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/** A protocol v1 client over the agent's Unix socket: requests in order, events after subscribe. */
final class AgentClient implements AutoCloseable {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;
  private int nextId = 1;

  /** Thrown when the agent cannot be reached; the message says what to check. */
  static final class Unreachable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreachable(String message) {
      super(message);
    }
  }

  private AgentClient(SocketChannel channel) {
    this.channel = channel;
    this.in =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
    this.out = Channels.newOutputStream(channel);
  }

  static AgentClient connect(Path socket) throws Unreachable {
    try {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
      return new AgentClient(ch);
    } catch (IOException e) {
      throw new Unreachable(
          "cannot reach the havirt agent at "
              + socket
              + " ("
              + e.getMessage()
              + "): is it running? (systemctl status havirt, or --socket / HAVIRT_SOCKET)");
    }
  }

  ObjectNode newRequest(String op) {
    ObjectNode r = MAPPER.createObjectNode();
    r.put("id", nextId++);
    r.put("op", op);
    return r;
  }

  /** Sends {@code req} and returns its reply; events that arrive meanwhile go to {@code events}. */
  JsonNode call(ObjectNode req, Consumer<JsonNode> events) throws Unreachable {
    try {
      out.write((req.toString() + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        String line = in.readLine();
        if (line == null) {
          throw new Unreachable("the agent closed the connection");
        }
        JsonNode n = MAPPER.readTree(line);
        if (n.has("event")) {
          events.accept(n);
        } else if (n.path("id").asText().equals(req.path("id").asText()) || n.path("id").isNull()) {
          return n;
        }
      }
    } catch (IOException e) {
      throw new Unreachable("lost the connection to the agent: " + e.getMessage());
    }
  }

  JsonNode call(ObjectNode req) throws Unreachable {
    return call(req, e -> {});
  }

  /** Reads events until the connection ends. */
  void events(Consumer<JsonNode> onEvent) throws Unreachable {
    try {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode n = MAPPER.readTree(line);
        if (n.has("event")) {
          onEvent.accept(n);
        }
      }
      throw new Unreachable("the agent closed the connection");
    } catch (IOException e) {
      throw new Unreachable("lost the connection to the agent: " + e.getMessage());
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // gone
    }
  }
}
