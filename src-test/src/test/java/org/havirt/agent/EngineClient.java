package org.havirt.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test engine on the agent's socket: writes raw lines, and collects every line the agent sends on
 * a reader thread so tests can wait for a reply or an event with a deadline.
 */
final class EngineClient implements AutoCloseable {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private final SocketChannel ch;
  private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
  private int id;

  EngineClient(Path socket) throws IOException {
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    Thread t = new Thread(this::read, "test-engine-reader");
    t.setDaemon(true);
    t.start();
  }

  private void read() {
    StringBuilder line = new StringBuilder();
    ByteBuffer bb = ByteBuffer.allocate(65536);
    try {
      while (ch.read(bb.clear()) > 0) {
        line.append(new String(bb.array(), 0, bb.position(), StandardCharsets.UTF_8));
        int nl;
        while ((nl = line.indexOf("\n")) >= 0) {
          received.add(MAPPER.readTree(line.substring(0, nl)));
          line.delete(0, nl + 1);
        }
      }
    } catch (IOException e) {
      // closed
    }
  }

  void sendRaw(String text) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bb.hasRemaining()) {
      ch.write(bb);
    }
  }

  /** Sends {@code op} with fields (name, value pairs) and waits for its reply. */
  JsonNode call(String op, Duration within, Object... fields)
      throws IOException, InterruptedException {
    int myId = ++id;
    var req = MAPPER.createObjectNode().put("id", myId).put("op", op);
    for (int i = 0; i < fields.length; i += 2) {
      req.set((String) fields[i], MAPPER.valueToTree(fields[i + 1]));
    }
    sendRaw(req + "\n");
    return await(n -> !n.has("event") && n.path("id").asInt(-1) == myId, within);
  }

  /** Waits for a line matching {@code p}; lines that do not match are kept for later awaits. */
  JsonNode await(Predicate<JsonNode> p, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    java.util.List<JsonNode> skipped = new java.util.ArrayList<>();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        JsonNode n = received.poll(left, TimeUnit.NANOSECONDS);
        if (n == null) {
          return null;
        }
        if (p.test(n)) {
          return n;
        }
        skipped.add(n);
      }
    } finally {
      java.util.List<JsonNode> rest = new java.util.ArrayList<>();
      received.drainTo(rest);
      received.addAll(skipped);
      received.addAll(rest);
    }
  }

  /**
   * Waits for a state event about {@code resource} in {@code state} with a seq above {@code
   * afterSeq}.
   */
  JsonNode awaitEvent(String resource, String state, long afterSeq, Duration within)
      throws InterruptedException {
    return await(
        n ->
            n.has("event")
                && resource.equals(n.path("resource").asText())
                && state.equals(n.path("state").asText())
                && !n.has("snapshot")
                && n.path("seq").asLong() > afterSeq,
        within);
  }

  /** Waits for a state event about {@code resource} in {@code state}. */
  JsonNode awaitEvent(String resource, String state, Duration within) throws InterruptedException {
    return await(
        n ->
            n.has("event")
                && resource.equals(n.path("resource").asText())
                && state.equals(n.path("state").asText())
                && !n.has("snapshot"),
        within);
  }

  void shutdownOutput() throws IOException {
    ch.shutdownOutput();
  }

  boolean isOpen() {
    return ch.isOpen();
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
