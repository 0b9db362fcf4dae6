package org.havirt.agent.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;
import org.havirt.agent.core.ResourceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: a reader thread turns lines into requests, a writer thread sends replies
 * and events from a bounded queue. A client that stops reading fills its queue and is dropped;
 * nothing it does can block the agent or another connection.
 */
final class Connection implements RequestHandler.Sink {
  private static final Logger log = LoggerFactory.getLogger(Connection.class);
  static final int MAX_LINE = 1024 * 1024;

  /** Lines waiting for a client before it counts as not reading (tests lower it). */
  private static final int QUEUE_LINES = Integer.getInteger("havirt.socket.queueLines", 10_000);

  private static final String CLOSE = "\u0000close";

  private final SocketChannel channel;
  private final String peer;
  private final BlockingQueue<String> out = new ArrayBlockingQueue<>(QUEUE_LINES);
  private final RequestHandlerFactory handlers;
  private final SubscriptionRegistry subscriptions;
  private volatile boolean closed;
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

  Connection(
      SocketChannel channel,
      String peer,
      RequestHandlerFactory handlers,
      SubscriptionRegistry subscriptions) {
    this.channel = channel;
    this.peer = peer;
    this.handlers = handlers;
    this.subscriptions = subscriptions;
  }

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
    if (closed) {
      return;
    }
    if (!out.offer(line.toString())) {
      // The client does not read what we send: drop it rather than buffer without bound.
      log.warn("client dropped, not reading peer={} queued={}", peer, QUEUE_LINES);
      close();
    }
  }

  @Override
  public void idle() {
    if (inputDone && subscription == null && !closed) {
      out.offer(CLOSE); // after the replies already queued
    }
  }

  @Override
  public synchronized boolean subscribe(Consumer<ResourceStatus> onEvent) {
    if (subscription != null) {
      return false;
    }
    subscription = subscriptions.subscribe(onEvent);
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
      while (!closed && (n = channel.read(bb.clear())) > 0) {
        byte[] buf = bb.array();
        for (int i = 0; i < n; i++) {
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
      if (handler.pending() == 0) {
        idle();
      }
    } catch (IOException e) {
      close();
    }
  }

  private void writeLoop() {
    try {
      while (!closed) {
        String line = out.take();
        if (line == CLOSE) {
          return;
        }
        ByteBuffer bb = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (bb.hasRemaining()) {
          channel.write(bb);
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    } finally {
      close();
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
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
  }
}
