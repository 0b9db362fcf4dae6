package org.havirt.agent.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.havirt.agent.core.ResourceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: a reader thread turns lines into requests, a writer thread sends replies
 * and events from a queue. What is owed to the client and not yet written is capped in bytes; a
 * client that falls further behind is dropped with a {@code too_slow} line, so nothing it does can
 * block the agent or another connection, or grow the agent's memory without bound.
 *
 * <p>Thread-safety: {@link #send}, {@link #idle}, {@link #subscribe} and {@link #close} may be
 * called from any thread; {@link #send} never blocks (agent listeners must return at once).
 */
final class Connection implements RequestHandler.Sink {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  static final int MAX_LINE = 1024 * 1024;

  /** Tells the writer to stop; compared by identity. */
  private static final byte[] CLOSE = new byte[0];

  private final SocketChannel channel;
  private final String peer;
  private final BlockingQueue<byte[]> out = new LinkedBlockingQueue<>();
  private final RequestHandlerFactory handlers;
  private final SubscriptionRegistry subscriptions;
  private final long maxQueuedBytes;
  private final Duration dropGrace;
  private final ScheduledExecutorService reaper;
  private final Runnable onClosed;
  private final Runnable onDropped;

  /**
   * Bytes accepted by {@link #send} and not yet written to the socket (the line in writing too).
   */
  private final AtomicLong queued = new AtomicLong();

  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean dropping = new AtomicBoolean();
  private volatile AutoCloseable subscription;
  private volatile boolean inputDone;

  /** Makes a handler for a connection. */
  interface RequestHandlerFactory {
    RequestHandler create(RequestHandler.Sink sink);
  }

  /** Registers event listeners with the agent. */
  interface SubscriptionRegistry {
    AutoCloseable subscribe(Consumer<ResourceStatus> listener);
  }

  /**
   * @param reaper closes a dropped connection whose client never reads its last lines
   * @param onClosed runs once, when the connection closes for any reason
   * @param onDropped runs once if the client is dropped for not keeping up
   */
  Connection(
      SocketChannel channel,
      String peer,
      RequestHandlerFactory handlers,
      SubscriptionRegistry subscriptions,
      SocketLimits limits,
      ScheduledExecutorService reaper,
      Runnable onClosed,
      Runnable onDropped) {
    this.channel = channel;
    this.peer = peer;
    this.handlers = handlers;
    this.subscriptions = subscriptions;
    this.maxQueuedBytes = limits.maxQueuedBytes();
    this.dropGrace = limits.dropGrace();
    this.reaper = reaper;
    this.onClosed = onClosed;
    this.onDropped = onDropped;
  }

  /** Starts the reader and writer threads; throws what starting a thread throws. */
  void start() {
    Thread reader = new Thread(this::readLoop, "havirt-conn-read-" + peer);
    Thread writer = new Thread(this::writeLoop, "havirt-conn-write-" + peer);
    reader.setDaemon(true);
    writer.setDaemon(true);
    writer.start();
    reader.start();
  }

  @Override
  public void send(JsonNode line) {
    if (closed.get() || dropping.get()) {
      return;
    }
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    long before = queued.getAndAdd(bytes.length);
    // One line is always taken when nothing is owed: a status of many resources is one long line.
    if (before > 0 && before + bytes.length > maxQueuedBytes) {
      queued.addAndGet(-bytes.length);
      drop(before);
      return;
    }
    out.offer(bytes);
  }

  /**
   * The client does not keep up: what it is owed is thrown away, it gets the reason after the line
   * being written, and the connection closes, at the latest after the grace if it never reads.
   */
  private void drop(long owed) {
    if (!dropping.compareAndSet(false, true)) {
      return;
    }
    log.warn(
        "client dropped, not reading what it is sent peer={} owedBytes={} maxQueuedBytes={}",
        peer,
        owed,
        maxQueuedBytes);
    onDropped.run();
    out.clear();
    String reason =
        "this connection fell more than "
            + maxQueuedBytes
            + " bytes behind ("
            + owed
            + " bytes not yet sent to it); the agent closes it";
    out.offer((Json.error(null, "too_slow", reason) + "\n").getBytes(StandardCharsets.UTF_8));
    out.offer(CLOSE);
    try {
      reaper.schedule(this::close, dropGrace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      close(); // the server is closing: no grace
    }
  }

  @Override
  public void idle() {
    if (inputDone && subscription == null && !closed.get()) {
      out.offer(CLOSE); // after the replies already queued
    }
  }

  @Override
  public synchronized boolean subscribe(Consumer<ResourceStatus> onEvent) {
    if (subscription != null) {
      return false;
    }
    AutoCloseable s = subscriptions.subscribe(onEvent);
    subscription = s;
    if (closed.get()) {
      // Closed while subscribing: close() may have missed it, and nobody would read the events.
      try {
        s.close();
      } catch (Exception e) {
        // nothing to do
      }
    }
    return true;
  }

  private void readLoop() {
    RequestHandler handler = handlers.create(this);
    // The channel is read and written directly: Channels.newInputStream/newOutputStream both lock
    // the channel's blockingLock, so a reader blocked waiting for a request would stop every reply.
    try {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      boolean tooLong = false;
      ByteBuffer bb = ByteBuffer.allocate(8192);
      int n;
      while (!closed.get() && (n = channel.read(bb.clear())) > 0) {
        byte[] buf = bb.array();
        for (int i = 0; i < n; i++) {
          // A dropped client's later requests are not run: their replies could never reach it.
          if (dropping.get()) {
            return;
          }
          byte b = buf[i];
          if (b == '\n') {
            if (tooLong) {
              send(
                  Json.error(
                      null,
                      "too_large",
                      "request line longer than " + MAX_LINE + " bytes; ignored"));
            } else if (line.size() > 0) {
              String text = line.toString(StandardCharsets.UTF_8).strip();
              if (!text.isEmpty()) {
                handler.handle(text);
              }
            }
            line.reset();
            tooLong = false;
          } else if (!tooLong) {
            if (line.size() >= MAX_LINE) {
              tooLong = true;
              line.reset();
            } else {
              line.write(b);
            }
          }
        }
      }
      // End of input (a half-close, or the client left). A subscriber keeps getting events; anyone
      // else gets the replies still owed, then the connection closes.
      inputDone = true;
      if (handler.pending() == 0 && !dropping.get()) {
        idle();
      }
    } catch (IOException e) {
      close();
    }
  }

  private void writeLoop() {
    try {
      while (!closed.get()) {
        byte[] line = out.take();
        if (line == CLOSE) {
          return;
        }
        ByteBuffer bb = ByteBuffer.wrap(line);
        while (bb.hasRemaining()) {
          channel.write(bb);
        }
        queued.addAndGet(-line.length);
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    } finally {
      close();
    }
  }

  /** Closes the connection and frees its place; only the first call does anything. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    out.clear();
    out.offer(CLOSE);
    AutoCloseable s = subscription;
    if (s != null) {
      try {
        s.close();
      } catch (Exception e) {
        // nothing to do
      }
    }
    try {
      channel.close();
    } catch (IOException e) {
      // already closed
    }
    onClosed.run();
  }
}
