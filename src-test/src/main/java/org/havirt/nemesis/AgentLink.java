package org.havirt.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One connection to an agent's engine socket (docs/protocol.md): requests with ids, replies matched
 * to them, events handed to a listener. Many requests may be in flight.
 *
 * <p>Thread-safe. When the connection ends (either side), every pending reply completes
 * exceptionally with {@link Dropped} and {@code onClose} runs once, on the reader thread.
 */
public final class AgentLink implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** The connection ended before the reply came. */
  public static final class Dropped extends IOException {
    private static final long serialVersionUID = 1L;

    Dropped(String why) {
      super(why);
    }
  }

  private final SocketChannel ch;
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Consumer<JsonNode> onEvent;
  private final Runnable onClose;
  private volatile boolean closed;

  /** Connects; throws if the agent does not accept. */
  public AgentLink(Path socket, String name, Consumer<JsonNode> onEvent, Runnable onClose)
      throws IOException {
    this.onEvent = onEvent;
    this.onClose = onClose;
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    Thread t = new Thread(this::read, "nemesis-link-" + name);
    t.setDaemon(true);
    t.start();
  }

  private void read() {
    // The channel itself, not Channels.newInputStream: those streams lock the channel's
    // blockingLock, so a blocked read would hold every write back.
    java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
    ByteBuffer bb = ByteBuffer.allocate(65536);
    try {
      while (ch.read(bb.clear()) > 0) {
        for (int i = 0; i < bb.position(); i++) {
          byte b = bb.get(i);
          if (b != '\n') {
            line.write(b);
            continue;
          }
          String text = line.toString(StandardCharsets.UTF_8);
          line.reset();
          handle(JSON.readTree(text));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the connection ended; below
    } finally {
      closed = true;
      for (var f : pending.values()) {
        f.completeExceptionally(new Dropped("connection closed"));
      }
      pending.clear();
      onClose.run();
    }
  }

  private void handle(JsonNode n) {
    if (n.has("event")) {
      onEvent.accept(n);
      return;
    }
    CompletableFuture<JsonNode> f = pending.remove(n.path("id").asLong(-1));
    if (f != null) {
      f.complete(n);
    }
  }

  /** Sends {@code op} with fields (name, value pairs); the future completes with the reply. */
  public CompletableFuture<JsonNode> call(String op, Object... fields) {
    long id = ids.incrementAndGet();
    ObjectNode req = JSON.createObjectNode().put("id", id).put("op", op);
    for (int i = 0; i < fields.length; i += 2) {
      req.set((String) fields[i], JSON.valueToTree(fields[i + 1]));
    }
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    pending.put(id, f);
    try {
      byte[] b = (req + "\n").getBytes(StandardCharsets.UTF_8);
      synchronized (ch) {
        ByteBuffer bb = ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
          ch.write(bb);
        }
      }
    } catch (IOException e) {
      pending.remove(id);
      f.completeExceptionally(new Dropped("write failed: " + e.getMessage()));
    }
    if (closed) {
      pending.remove(id);
      f.completeExceptionally(new Dropped("connection closed"));
    }
    return f;
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    try {
      ch.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
