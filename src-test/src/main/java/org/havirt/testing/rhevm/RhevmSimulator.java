package org.havirt.testing.rhevm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A RHEV-M (oVirt engine) stand-in speaking REST API v4 in JSON over HTTPS with its own CA: OAuth
 * tokens (bad credentials → 400, a stale token → 401), VM search, start/shutdown/stop with timed
 * transitions, hosts, the events feed, and the quirks real engines have (booleans and integers as
 * strings, empty collections with their key left out, faults as {reason, detail}, links expanded by
 * {@code follow=} or not, see {@link #expandLinks}). Fault injection: counted one-shot faults
 * (latency, 5xx, garbage bodies, dropped connections, revoked tokens) for focused tests, random
 * seeded ones ({@link #faults}) for campaigns, host crashes and partitions in {@link SimModel}; an
 * out-of-process harness drives them through {@link SimControl}. Loopback only.
 */
public final class RhevmSimulator implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final java.util.concurrent.ExecutorService workers = Executors.newFixedThreadPool(8);
  public final SimModel model = new SimModel();
  private final SimRoutes routes;
  private final HttpsServer server;
  private final SimTls tls;
  private final String user;
  private final Map<String, String> passwords = new ConcurrentHashMap<>(); // user -> password
  private final Map<String, String> tokens = new ConcurrentHashMap<>(); // token -> user

  /** Every API request served, for "one request per round" assertions. */
  public final AtomicLong requests = new AtomicLong();

  /** Requests to the token endpoint (logins), counted before anything is checked. */
  public final AtomicLong logins = new AtomicLong();

  /** Logins refused for bad credentials. */
  public final AtomicLong failedLogins = new AtomicLong();

  /**
   * When set, the token endpoint answers {@code 307 Temporary Redirect} to this location (as a
   * misconfigured or hostile proxy may), and checks nothing.
   */
  public volatile String redirectTokenTo;

  /**
   * When set, every API request is answered {@code 302 Found} to this prefix followed by the
   * request's path and query.
   */
  public volatile String redirectApiTo;

  /** VM listings served (GET /vms), for "one request per monitor round" assertions. */
  public final AtomicLong vmListings = new AtomicLong();

  /** Fault injection: milliseconds added to every reply (or only some: {@link #faultsOnlyOn}). */
  public volatile long latencyMillis;

  /** Fault injection: the next N API requests answer 503. */
  public final AtomicInteger fail5xx = new AtomicInteger();

  /** Fault injection: the next N API requests answer 200 with a body of {@link #garbageKind}. */
  public final AtomicInteger garbage = new AtomicInteger();

  /** The kind of garbage the counted {@link #garbage} fault sends (an HTML page unless set). */
  public volatile SimFaults.Garbage garbageKind = SimFaults.Garbage.HTML;

  /**
   * Fault injection: the next N API requests get the status line, headers and part of the body,
   * then the connection closes (as when the engine or a proxy dies mid-response).
   */
  public final AtomicInteger dropMidResponse = new AtomicInteger();

  /**
   * Random, seeded faults on every request (API and login), off until armed; see {@link SimFaults}.
   * Replace it before clients connect to change the seed.
   */
  public volatile SimFaults faults = new SimFaults(0);

  /** Fault injection: the next N API requests have their connection closed with no reply. */
  public final AtomicInteger dropConnections = new AtomicInteger();

  /**
   * When set, the latency and the counted faults above hit only requests whose path ends with it
   * (e.g. {@code /vms}), so a background poller of the client cannot take a fault meant for its
   * monitor.
   */
  public volatile String faultsOnlyOn;

  /**
   * Whether {@code follow=} expands links (engines 4.2 and later). Off, the simulator behaves as an
   * older engine or a proxy that strips the parameter: every link, such as a VM's {@code host}, is
   * only {@code {id, href}}.
   */
  public volatile boolean expandLinks = true;

  public RhevmSimulator(Path dir, int port, String user, String password) throws Exception {
    this.tls = SimTls.create(dir.resolve("tls"));
    this.user = user;
    passwords.put(user, password);
    this.routes = new SimRoutes(model, vmListings, () -> expandLinks);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
    server.createContext(
        "/ovirt-engine/sso/oauth/token",
        ex -> {
          try {
            token(ex);
          } finally {
            SimFaultReplies.clear();
          }
        });
    server.createContext("/ovirt-engine/api", this::api);
    server.createContext("/havirt-sim", new SimControl(this)::handle);
    server.setExecutor(workers);
    server.start();
  }

  /** Returns e.g. https://localhost:PORT (the URL RHEVMInfo.URL names). */
  public String url() {
    return "https://localhost:" + server.getAddress().getPort();
  }

  public Path caPem() {
    return tls.caPem();
  }

  /**
   * The RHEVMInfo association a resource needs to reach this simulator as its user: Enabled, URL,
   * User, Password (already encrypted with the host key), Cluster and CAFile. Mutable, in that
   * order, so a test can change or drop a key.
   */
  public Map<String, String> rhevmInfo(String encryptedPassword, String cluster) {
    Map<String, String> info = new java.util.LinkedHashMap<>();
    info.put("Enabled", "1");
    info.put("URL", url());
    info.put("User", user);
    info.put("Password", encryptedPassword);
    info.put("Cluster", cluster);
    info.put("CAFile", caPem().toString());
    return info;
  }

  /**
   * Adds an API user (one per node in a campaign, so the action audit, {@link SimModel#actions},
   * tells which node asked).
   */
  public void addUser(String name, String password) {
    passwords.put(name, password);
  }

  /** Makes every token issued so far invalid (the next call gets 401). */
  public void revokeTokens() {
    tokens.clear();
  }

  /** The raw query of every events request served, oldest first. */
  public List<String> eventQueries() {
    return List.copyOf(routes.eventQueries);
  }

  private void token(HttpExchange ex) throws IOException {
    logins.incrementAndGet();
    try {
      SimFaults.Draw draw = faults.armed() ? faults.next() : SimFaults.Draw.CLEAN;
      Thread.sleep(draw.latencyMillis());
      if (draw.fault() != SimFaults.Fault.REVOKE && SimFaultReplies.reply(ex, draw)) {
        return; // the SSO service fails as the API does
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    String redirect = redirectTokenTo;
    if (redirect != null) {
      ex.getRequestBody().readAllBytes();
      ex.getResponseHeaders().set("Location", redirect);
      ex.sendResponseHeaders(307, -1);
      ex.close();
      return;
    }
    Map<String, String> form =
        SimRoutes.form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    if (!"password".equals(form.get("grant_type")) || !"ovirt-app-api".equals(form.get("scope"))) {
      SimRoutes.send(
          ex,
          400,
          JSON.createObjectNode()
              .put("error", "invalid_request")
              .put("error_description", "bad grant"));
      return;
    }
    String pw = passwords.get(String.valueOf(form.get("username")));
    if (pw == null || !pw.equals(form.get("password"))) {
      // Real engines answer bad credentials with 400, not 401.
      failedLogins.incrementAndGet();
      SimRoutes.send(
          ex,
          400,
          JSON.createObjectNode()
              .put("error", "access_denied")
              .put(
                  "error_description",
                  "Cannot authenticate user '"
                      + form.get("username")
                      + "': The username or password is incorrect."));
      return;
    }
    String t = UUID.randomUUID().toString();
    tokens.put(t, form.get("username"));
    SimRoutes.send(
        ex,
        200,
        JSON.createObjectNode()
            .put("access_token", t)
            .put("token_type", "bearer")
            .put("scope", "ovirt-app-api"));
  }

  private void api(HttpExchange ex) throws IOException {
    try {
      requests.incrementAndGet();
      String redirect = redirectApiTo;
      if (redirect != null) {
        ex.getResponseHeaders().set("Location", redirect + ex.getRequestURI());
        ex.sendResponseHeaders(302, -1);
        ex.close();
        return;
      }
      String only = faultsOnlyOn;
      boolean target = only == null || ex.getRequestURI().getPath().endsWith(only);
      SimFaults.Draw draw = target && faults.armed() ? faults.next() : SimFaults.Draw.CLEAN;
      if (target && latencyMillis > 0) {
        Thread.sleep(latencyMillis); // injected latency
      }
      Thread.sleep(draw.latencyMillis());
      if (draw.fault() == SimFaults.Fault.REVOKE) {
        revokeTokens(); // this request's token included: it gets 401
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String who =
          auth == null || !auth.startsWith("Bearer ") ? null : tokens.get(auth.substring(7));
      if (who == null) {
        SimRoutes.send(
            ex, 401, SimRoutes.fault("Unauthorized", "the token is missing, expired or revoked"));
        return;
      }
      if (target && fail5xx.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        SimRoutes.send(ex, 503, SimRoutes.fault("Service Unavailable", "injected"));
        return;
      }
      if (target && dropConnections.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        // The JDK server closes the connection when a handler throws IOException: the client
        // sees the stream end with no status line, as when a proxy or the engine dies mid-call.
        throw new IOException("injected dropped connection");
      }
      if (target && garbage.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        if (SimFaultReplies.garbage(ex, garbageKind, 0.5)) {
          return;
        }
      } else if (target && dropMidResponse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        SimFaultReplies.dropMidResponse(ex, 0.5);
      } else if (SimFaultReplies.reply(ex, draw)) {
        return;
      }
      routes.route(ex, who);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      SimFaultReplies.clear(); // a 500 is the fault here, sent whole
      SimRoutes.send(ex, 500, SimRoutes.fault("Internal Server Error", e.toString()));
    } finally {
      SimFaultReplies.clear();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    workers.shutdownNow(); // HttpServer.stop leaves its executor running
  }

  /**
   * Runs the simulator stand-alone until killed: {@code --port N --dir DIR [--user U --password P]
   * [--cluster C --host H... --vm V...] [--seed S] [--step-ms MS]}. Prints its URL and CA file, one
   * per line. Faults are armed through {@link SimControl} ({@code --seed} seeds them).
   */
  public static void main(String[] args) throws Exception {
    Map<String, List<String>> opts = new HashMap<>();
    String key = null;
    for (String a : args) {
      if (a.startsWith("--")) {
        key = a.substring(2);
        opts.computeIfAbsent(key, k -> new java.util.ArrayList<>());
      } else if (key != null) {
        opts.get(key).add(a);
      }
    }
    int port = Integer.parseInt(first(opts, "port", "8443"));
    Path dir =
        Path.of(first(opts, "dir", System.getProperty("java.io.tmpdir") + "/havirt-rhevm-sim"));
    RhevmSimulator sim =
        new RhevmSimulator(
            dir, port, first(opts, "user", "admin@internal"), first(opts, "password", "admin"));
    sim.faults = new SimFaults(Long.parseLong(first(opts, "seed", "0")));
    sim.model.stepMillis = Long.parseLong(first(opts, "step-ms", "200"));
    String cluster = first(opts, "cluster", "Default");
    sim.model.addCluster(cluster);
    opts.getOrDefault("host", List.of("rhevh1")).forEach(h -> sim.model.addHost(h, cluster));
    opts.getOrDefault("vm", List.of()).forEach(v -> sim.model.addVm(v, cluster));
    System.out.println(sim.url());
    System.out.println(sim.caPem());
    System.out.flush();
    Thread.currentThread().join();
  }

  private static String first(Map<String, List<String>> opts, String key, String dflt) {
    List<String> v = opts.get(key);
    return v == null || v.isEmpty() ? dflt : v.get(0);
  }
}
