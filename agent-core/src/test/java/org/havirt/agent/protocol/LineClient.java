package org.havirt.agent.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test client of the engine socket: it reads nothing until {@link #startReading}, so a test can
 * play a client that does not keep up; then a background thread collects lines. One test thread
 * uses it.
 */
final class LineClient implements AutoCloseable {
  /** Put after the last line once the agent closed the connection (EOF or reset). */
  private static final String END = "\u0000end";

  private final SocketChannel ch;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final AtomicLong bytesRead = new AtomicLong();
  private Thread reader;
  private boolean ended;

  private LineClient(SocketChannel ch) {
    this.ch = ch;
  }

  static LineClient connect(Path socket) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    return new LineClient(ch);
  }

  /** Connects, starts reading, and returns the client. */
  static LineClient reading(Path socket) throws IOException {
    return connect(socket).startReading();
  }

  void send(String line) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (bb.hasRemaining()) {
      ch.write(bb);
    }
  }

  /**
   * Reads one line byte by byte, before {@link #startReading}, so nothing after it is taken from
   * the socket: a client that reads its first reply and then stops.
   */
  String firstLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      if (ch.read(one.clear()) < 0) {
        throw new IOException("closed before a line: " + line.toString(StandardCharsets.UTF_8));
      }
      bytesRead.incrementAndGet();
      if (one.get(0) == '\n') {
        return line.toString(StandardCharsets.UTF_8);
      }
      line.write(one.get(0));
    }
  }

  LineClient startReading() {
    reader = new Thread(this::readLoop, "test-client-read");
    reader.setDaemon(true);
    reader.start();
    return this;
  }

  private void readLoop() {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteBuffer bb = ByteBuffer.allocate(1 << 16);
    try {
      int n;
      while ((n = ch.read(bb.clear())) > 0) {
        bytesRead.addAndGet(n);
        for (int i = 0; i < n; i++) {
          byte b = bb.get(i);
          if (b == '\n') {
            lines.add(line.toString(StandardCharsets.UTF_8));
            line.reset();
          } else {
            line.write(b);
          }
        }
      }
    } catch (IOException e) {
      // A reset is how a closed Unix socket with unread input ends: the same as EOF here.
    }
    lines.add(END);
  }

  /** The next line, or null if none came within {@code d} or the connection ended. */
  String line(Duration d) throws InterruptedException {
    if (ended) {
      return null;
    }
    String l = lines.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    if (l == END) {
      ended = true;
      return null;
    }
    return l;
  }

  /** The next line as JSON, or null as for {@link #line}. */
  JsonNode json(Duration d) throws Exception {
    String l = line(d);
    return l == null ? null : Json.MAPPER.readTree(l);
  }

  /** The next line that is not an event, skipping events, or null as for {@link #line}. */
  JsonNode reply(Duration d) throws Exception {
    long until = System.nanoTime() + d.toNanos();
    JsonNode n;
    do {
      n = json(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
    } while (n != null && n.has("event"));
    return n;
  }

  /** Whether the connection ended by now (after the lines before it were taken). */
  boolean ended() {
    return ended;
  }

  long bytesRead() {
    return bytesRead.get();
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
