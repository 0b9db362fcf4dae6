package org.havirt.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay with a slow link one way: it accepts on {@code listen}, connects each client to
 * {@code target}, and forwards client-to-target bytes at no more than {@code bytesPerSecond}. For
 * making a live migration deterministically slow. Loopback only.
 */
public final class ThrottledRelay implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final int bytesPerSecond;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  public ThrottledRelay(InetSocketAddress listen, InetSocketAddress target, int bytesPerSecond)
      throws IOException {
    if (!listen.getAddress().isLoopbackAddress() || !target.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException("the relay is for loopback addresses only");
    }
    this.server = new ServerSocket();
    this.server.bind(listen);
    this.target = target;
    this.bytesPerSecond = bytesPerSecond;
    Thread t = new Thread(this::accept, "throttled-relay");
    t.setDaemon(true);
    t.start();
  }

  /** Returns the port the relay listens on. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns a port that is free on both addresses at the moment. */
  public static int freePort(InetAddress a, InetAddress b) throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, a)) {
        port = s.getLocalPort();
      }
      try (ServerSocket s = new ServerSocket(port, 1, b)) {
        return s.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no port free on both " + a + " and " + b);
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(target.getAddress(), target.getPort());
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, bytesPerSecond);
        pump(upstream, client, 0);
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void pump(Socket from, Socket to, int limit) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[limit > 0 ? Math.max(1, Math.min(8192, limit / 10)) : 65536];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                long start = System.nanoTime();
                long sent = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                  out.write(buf, 0, n);
                  sent += n;
                  if (limit > 0) {
                    long due = start + sent * 1_000_000_000L / limit;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                      Thread.sleep(
                          wait / 1_000_000, (int) (wait % 1_000_000)); // the throttle itself
                    }
                  }
                }
              } catch (IOException | InterruptedException e) {
                // either side went away
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            "throttled-relay-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // gone
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    sockets.forEach(ThrottledRelay::closeQuietly);
  }
}
