package org.havirt.testing.rhevm;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * How the simulator answers a request that drew a fault ({@link SimFaults}): a 503, a garbage body,
 * or a reply cut short. Faults that need the real answer (a truncated body, a connection dropped
 * mid-response) only mark the current thread; {@link SimRoutes#send} then cuts what it renders.
 * Stateless.
 */
final class SimFaultReplies {
  /**
   * The {@link Cut} to apply to the reply the current thread is about to send (a handler runs on
   * one thread from request to reply). Not an exchange attribute: on JDK 17 {@code
   * HttpExchange.setAttribute} stores into the HttpContext, shared by every later exchange, so one
   * injected cut cut every reply after it (seen in RhevFaultsIT).
   */
  private static final ThreadLocal<Cut> CUT = new ThreadLocal<>();

  /**
   * @param drop true: send the headers with the full length, then part of the body, then close;
   *     false: a valid 200 whose body is the real one cut short
   * @param fraction how much of the real body is kept, in [0, 1)
   */
  record Cut(boolean drop, double fraction) {}

  private static final String[] NOT_OBJECTS = {"[]", "null", "\"ok\""};

  private SimFaultReplies() {}

  /**
   * Answers {@code ex} per {@code draw}; returns true when the request is answered, false when the
   * real handler must run (no fault, a revocation already applied, or a cut marked on {@code ex}).
   */
  static boolean reply(HttpExchange ex, SimFaults.Draw draw) throws IOException {
    return switch (draw.fault()) {
        // Served as usual.
      case NONE -> false;
        // The revocation happened before the token was checked; the reply itself is normal.
      case REVOKE -> false;
        // An engine (or its proxy) that is up but failing.
      case HTTP_5XX -> {
        SimRoutes.send(ex, 503, SimRoutes.fault("Service Unavailable", "injected"));
        yield true;
      }
        // A 200 nobody may believe.
      case GARBAGE -> garbage(ex, draw.garbage(), draw.cut());
        // The reply starts, then the connection dies.
      case DROP -> {
        dropMidResponse(ex, draw.cut());
        yield false;
      }
    };
  }

  /**
   * Sends a garbage body of {@code kind} with HTTP 200; returns false for {@link
   * SimFaults.Garbage#TRUNCATED}, which only marks {@code ex} so the real reply is cut to {@code
   * fraction} of its length.
   */
  static boolean garbage(HttpExchange ex, SimFaults.Garbage kind, double fraction)
      throws IOException {
    String json = "application/json";
    String[] body =
        switch (kind) {
            // What a proxy in front of a dead engine serves.
          case HTML ->
              new String[] {
                "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway",
                "text/html"
              };
            // The engine's other representation; havirt asks for JSON.
          case XML ->
              new String[] {
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<vms/>\n",
                "application/xml"
              };
            // Cut by SimRoutes.send from the real reply.
          case TRUNCATED -> {
            CUT.set(new Cut(false, fraction));
            yield null;
          }
            // A 200 with no body at all.
          case EMPTY -> new String[] {"", json};
            // JSON, but no object: no collection or entity can be read from it.
          case NOT_AN_OBJECT -> new String[] {NOT_OBJECTS[(int) (fraction * 3)], json};
            // The collection's key holds no list.
          case MISTYPED_COLLECTION -> new String[] {"{\"" + collectionKey(ex) + "\":{}}", json};
        };
    if (body == null) {
      return false;
    }
    ex.getResponseHeaders().set("Content-Type", body[1]);
    if (body[0].isEmpty()) {
      ex.sendResponseHeaders(200, -1);
      ex.close();
      return true;
    }
    byte[] b = body[0].getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
    return true;
  }

  /** Marks {@code ex} so its reply stops after {@code fraction} of the body, then the socket. */
  static void dropMidResponse(HttpExchange ex, double fraction) {
    CUT.set(new Cut(true, fraction));
  }

  /** Forgets a cut this thread marked and did not send (the request was answered otherwise). */
  static void clear() {
    CUT.remove();
  }

  /**
   * Sends {@code b} with {@code code}, or cut as {@code ex} is marked. A drop throws, which makes
   * the JDK server close the connection without completing the reply.
   */
  static void send(HttpExchange ex, int code, byte[] b) throws IOException {
    Cut cut = CUT.get();
    CUT.remove();
    if (cut == null) {
      ex.sendResponseHeaders(code, b.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(b);
      }
      return;
    }
    int keep = Math.min(Math.max(0, b.length - 1), (int) (cut.fraction() * b.length));
    if (cut.drop()) {
      ex.sendResponseHeaders(code, b.length);
      OutputStream os = ex.getResponseBody();
      os.write(b, 0, keep);
      os.flush();
      throw new IOException("injected drop after " + keep + " of " + b.length + " bytes");
    }
    ex.sendResponseHeaders(200, keep == 0 ? -1 : keep);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b, 0, keep);
    }
  }

  /** The collection a path names ({@code /vms} → {@code vm}), or {@code vm} for any other. */
  private static String collectionKey(HttpExchange ex) {
    String path = ex.getRequestURI().getPath();
    String last = path.substring(path.lastIndexOf('/') + 1);
    return last.endsWith("s") && last.length() > 1 ? last.substring(0, last.length() - 1) : "vm";
  }
}
