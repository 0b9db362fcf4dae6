package org.havirt.testing.rhevm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A RHEV-M (oVirt engine) stand-in speaking REST API v4 in JSON over HTTPS with its own CA: OAuth
 * tokens (bad credentials → 400, a stale token → 401), VM search, start/shutdown/stop with timed
 * transitions, hosts, the events feed, and the quirks real engines have (booleans and integers as
 * strings, empty collections with their key left out, faults as {reason, detail}). Fault injection:
 * latency, 5xx, malformed bodies, revoked tokens. Loopback only.
 */
public final class RhevmSimulator implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  public final SimModel model = new SimModel();
  private final HttpsServer server;
  private final SimTls tls;
  private final String user;
  private final String password;
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();

  /** Every API request served, for "one request per round" assertions. */
  public final AtomicLong requests = new AtomicLong();

  /** VM listings served (GET /vms), for "one request per monitor round" assertions. */
  public final AtomicLong vmListings = new AtomicLong();

  /** Fault injection: milliseconds added to every reply. */
  public volatile long latencyMillis;

  /** Fault injection: the next N API requests answer 503. */
  public final AtomicInteger fail5xx = new AtomicInteger();

  /** Fault injection: the next N API requests answer 200 with a body that is not JSON. */
  public final AtomicInteger garbage = new AtomicInteger();

  public RhevmSimulator(Path dir, int port, String user, String password) throws Exception {
    this.tls = SimTls.create(dir.resolve("tls"));
    this.user = user;
    this.password = password;
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
    server.createContext("/ovirt-engine/sso/oauth/token", this::token);
    server.createContext("/ovirt-engine/api", this::api);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
  }

  /** Returns e.g. https://localhost:PORT (the URL RHEVMInfo.URL names). */
  public String url() {
    return "https://localhost:" + server.getAddress().getPort();
  }

  public Path caPem() {
    return tls.caPem();
  }

  /** Makes every token issued so far invalid (the next call gets 401). */
  public void revokeTokens() {
    tokens.clear();
  }

  private void token(HttpExchange ex) throws IOException {
    Map<String, String> form =
        form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    if (!"password".equals(form.get("grant_type")) || !"ovirt-app-api".equals(form.get("scope"))) {
      send(
          ex,
          400,
          JSON.createObjectNode()
              .put("error", "invalid_request")
              .put("error_description", "bad grant"));
      return;
    }
    if (!user.equals(form.get("username")) || !password.equals(form.get("password"))) {
      // Real engines answer bad credentials with 400, not 401.
      send(
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
    tokens.add(t);
    send(
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
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis); // injected latency
      }
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (auth == null || !auth.startsWith("Bearer ") || !tokens.contains(auth.substring(7))) {
        send(ex, 401, fault("Unauthorized", "the token is missing, expired or revoked"));
        return;
      }
      if (fail5xx.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        send(ex, 503, fault("Service Unavailable", "injected"));
        return;
      }
      if (garbage.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        byte[] b = "<html>502 Bad Gateway".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream os = ex.getResponseBody()) {
          os.write(b);
        }
        return;
      }
      route(ex);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      send(ex, 500, fault("Internal Server Error", e.toString()));
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath().substring("/ovirt-engine/api".length());
    Map<String, String> q = form(Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse(""));
    String method = ex.getRequestMethod();
    String[] p = path.split("/");
    if (path.equals("/vms") && method.equals("GET")) {
      vmListings.incrementAndGet();
      ArrayNode list = JSON.createArrayNode();
      String search = q.getOrDefault("search", "");
      synchronized (model) {
        model.advance();
        for (SimModel.Vm v : model.vms.values()) {
          if (matches(v, search)) {
            list.add(vm(v, q.getOrDefault("follow", "").contains("host")));
          }
        }
      }
      ObjectNode r = JSON.createObjectNode();
      if (!list.isEmpty()) {
        r.set("vm", list); // an empty collection omits its key, as real engines do
      }
      send(ex, 200, r);
    } else if (p.length == 3 && p[1].equals("vms") && method.equals("GET")) {
      SimModel.Vm v;
      synchronized (model) {
        model.advance();
        v = model.vms.get(p[2]);
      }
      if (v == null) {
        send(ex, 404, fault("Not Found", "VM " + p[2] + " does not exist"));
      } else {
        send(ex, 200, vm(v, true));
      }
    } else if (p.length == 4 && p[1].equals("vms") && method.equals("POST")) {
      action(ex, p[2], p[3], JSON.readTree(ex.getRequestBody()));
    } else if (path.equals("/hosts") && method.equals("GET")) {
      ArrayNode list = JSON.createArrayNode();
      String search = q.getOrDefault("search", "");
      synchronized (model) {
        for (SimModel.Host h : model.hosts.values()) {
          if (search.isEmpty() || search.equals("name=" + h.name)) {
            list.add(host(h));
          }
        }
      }
      ObjectNode r = JSON.createObjectNode();
      if (!list.isEmpty()) {
        r.set("host", list);
      }
      send(ex, 200, r);
    } else if (p.length == 4
        && p[1].equals("hosts")
        && p[3].equals("fence")
        && method.equals("POST")) {
      JsonNode body = JSON.readTree(ex.getRequestBody());
      SimModel.Host h;
      synchronized (model) {
        h = model.hosts.get(p[2]);
      }
      if (h == null) {
        send(ex, 404, fault("Not Found", "host " + p[2] + " does not exist"));
        return;
      }
      if (!body.path("fence_type").asText().equals("manual")) {
        send(ex, 400, fault("Bad Request", "the simulator knows only fence_type=manual"));
        return;
      }
      Optional<String> refused = model.confirmManualFence(h);
      if (refused.isPresent()) {
        send(ex, 409, fault("Operation Failed", "[" + refused.get() + "]"));
      } else {
        send(ex, 200, JSON.createObjectNode().put("status", "complete"));
      }
    } else if (path.equals("/events") && method.equals("GET")) {
      long from = Long.parseLong(q.getOrDefault("from", "0"));
      ArrayNode list = JSON.createArrayNode();
      for (SimModel.Event e : model.eventsFrom(from)) {
        ObjectNode n =
            list.addObject().put("id", Long.toString(e.id())).put("description", e.description());
        n.putObject("vm").put("id", e.vmId());
      }
      ObjectNode r = JSON.createObjectNode();
      if (!list.isEmpty()) {
        r.set("event", list);
      }
      send(ex, 200, r);
    } else {
      send(ex, 404, fault("Not Found", method + " " + path + " is not part of the simulator"));
    }
  }

  private void action(HttpExchange ex, String vmId, String action, JsonNode body)
      throws IOException {
    SimModel.Vm v;
    synchronized (model) {
      v = model.vms.get(vmId);
    }
    if (v == null) {
      send(ex, 404, fault("Not Found", "VM " + vmId + " does not exist"));
      return;
    }
    Optional<String> refused;
    switch (action) {
      case "start" -> {
        String hostName =
            body.path("vm")
                .path("placement_policy")
                .path("hosts")
                .path("host")
                .path(0)
                .path("name")
                .asText("");
        Optional<SimModel.Host> h = model.hostByName(hostName);
        if (h.isEmpty()) {
          send(
              ex,
              400,
              fault(
                  "Operation Failed", "[Cannot run VM. Host '" + hostName + "' does not exist.]"));
          return;
        }
        refused = model.start(v, h.get());
      }
      case "migrate" -> {
        String hostName = body.path("host").path("name").asText("");
        Optional<SimModel.Host> h = model.hostByName(hostName);
        if (h.isEmpty()) {
          send(
              ex,
              400,
              fault(
                  "Operation Failed",
                  "[Cannot migrate VM. Host '" + hostName + "' does not exist.]"));
          return;
        }
        refused = model.migrate(v, h.get());
      }
      case "shutdown" -> refused = model.shutdown(v);
      case "stop" -> refused = model.stop(v);
      default -> {
        send(ex, 404, fault("Not Found", "action " + action + " is not part of the simulator"));
        return;
      }
    }
    if (refused.isPresent()) {
      send(ex, 409, fault("Operation Failed", "[" + refused.get() + "]"));
      return;
    }
    send(ex, 200, JSON.createObjectNode().put("status", "complete"));
  }

  private boolean matches(SimModel.Vm v, String search) {
    if (search.isEmpty()) {
      return true;
    }
    for (String term : search.split(" and ")) {
      String[] kv = term.split("=", 2);
      if (kv.length != 2) {
        return false;
      }
      String value = kv[1].trim();
      boolean ok =
          switch (kv[0].trim()) {
            case "name" -> v.name.equalsIgnoreCase(value); // engines search case-insensitively
            case "cluster" -> value.equals(model.clusters.get(v.clusterId));
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private ObjectNode vm(SimModel.Vm v, boolean followHost) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", v.id)
        .put("href", "/ovirt-engine/api/vms/" + v.id)
        .put("name", v.name)
        .put("status", v.status);
    n.put("memory", "1073741824"); // integers arrive as strings
    n.putObject("cluster")
        .put("id", v.clusterId)
        .put("href", "/ovirt-engine/api/clusters/" + v.clusterId);
    n.putObject("high_availability")
        .put("enabled", Boolean.toString(v.haEnabled))
        .put("priority", "0");
    n.putObject("placement_policy").put("affinity", v.affinity);
    if (v.hostId != null) {
      ObjectNode h =
          n.putObject("host")
              .put("id", v.hostId)
              .put("href", "/ovirt-engine/api/hosts/" + v.hostId);
      SimModel.Host host = model.hosts.get(v.hostId);
      if (followHost && host != null) {
        h.put("name", host.name).put("status", host.status);
      }
    }
    return n;
  }

  private ObjectNode host(SimModel.Host h) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", h.id).put("name", h.name).put("status", h.status);
    n.putObject("spm").put("status", h.spm).put("priority", "5");
    n.putObject("cluster").put("id", h.clusterId);
    return n;
  }

  static ObjectNode fault(String reason, String detail) {
    return JSON.createObjectNode().put("reason", reason).put("detail", detail);
  }

  private static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(b);
    }
  }

  private static Map<String, String> form(String s) {
    Map<String, String> m = new HashMap<>();
    for (String kv : s.split("&")) {
      if (!kv.isEmpty()) {
        int i = kv.indexOf('=');
        String k = URLDecoder.decode(i < 0 ? kv : kv.substring(0, i), StandardCharsets.UTF_8);
        m.put(k, i < 0 ? "" : URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /**
   * Runs the simulator stand-alone until killed: {@code --port N --dir DIR [--user U --password P]
   * [--cluster C --host H... --vm V...]}. Prints its URL and CA file, one per line.
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
