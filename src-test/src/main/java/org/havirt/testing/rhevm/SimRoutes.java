package org.havirt.testing.rhevm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulator's REST resources: VMs (list, search, get, update, actions), hosts (list, fence,
 * activate, deactivate), clusters and the events feed, rendered as a real engine renders them.
 * Called on the server's threads; every model access synchronizes on the model.
 */
final class SimRoutes {
  static final ObjectMapper JSON = RhevmSimulator.JSON;
  private final SimModel model;
  private final AtomicLong vmListings;
  private final java.util.function.BooleanSupplier expandLinks;

  /** The query of every events request, in order. */
  final java.util.Queue<String> eventQueries = new java.util.concurrent.ConcurrentLinkedQueue<>();

  SimRoutes(SimModel model, AtomicLong vmListings, java.util.function.BooleanSupplier expandLinks) {
    this.model = model;
    this.vmListings = vmListings;
    this.expandLinks = expandLinks;
  }

  /** Whether {@code follow} names {@code link} and this engine honours it. */
  private boolean follows(Map<String, String> q, String link) {
    return expandLinks.getAsBoolean()
        && java.util.Arrays.asList(q.getOrDefault("follow", "").split(",")).contains(link);
  }

  /** Serves one API request of {@code user} (whose token was checked). */
  void route(HttpExchange ex, String user) throws IOException {
    String path = ex.getRequestURI().getPath().substring("/ovirt-engine/api".length());
    Map<String, String> q = form(Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse(""));
    String method = ex.getRequestMethod();
    String[] p = path.split("/");
    if ((path.isEmpty() || path.equals("/")) && method.equals("GET")) {
      ObjectNode r = JSON.createObjectNode();
      r.putObject("product_info").put("name", "havirt RHEV-M simulator").put("vendor", "havirt");
      r.putObject("summary").putObject("vms").put("total", Integer.toString(model.vms.size()));
      send(ex, 200, r);
    } else if (path.equals("/vms") && method.equals("GET")) {
      vmListings.incrementAndGet();
      ArrayNode list = JSON.createArrayNode();
      Optional<List<SimSearch.Term>> search = search(ex, q, "name", "cluster");
      if (search.isEmpty()) {
        return;
      }
      boolean cs = caseSensitive(q);
      synchronized (model) {
        model.advance();
        for (SimModel.Vm v : model.vms.values()) {
          if (matches(v, search.get(), cs)) {
            list.add(vm(v, follows(q, "host")));
          }
        }
      }
      send(ex, 200, collection("vm", list));
    } else if (p.length == 3 && p[1].equals("vms") && method.equals("GET")) {
      SimModel.Vm v;
      synchronized (model) {
        model.advance();
        v = model.vms.get(p[2]);
      }
      if (v == null) {
        send(ex, 404, fault("Not Found", "VM " + p[2] + " does not exist"));
      } else {
        send(ex, 200, vm(v, follows(q, "host")));
      }
    } else if (p.length == 4
        && p[1].equals("vms")
        && p[3].equals("diskattachments")
        && method.equals("GET")) {
      diskAttachments(ex, p[2], follows(q, "disk"));
    } else if (p.length == 4 && p[1].equals("vms") && method.equals("POST")) {
      action(ex, p[2], p[3], JSON.readTree(ex.getRequestBody()), user);
    } else if (path.equals("/hosts") && method.equals("GET")) {
      ArrayNode list = JSON.createArrayNode();
      Optional<List<SimSearch.Term>> search = search(ex, q, "name");
      if (search.isEmpty()) {
        return;
      }
      boolean cs = caseSensitive(q);
      synchronized (model) {
        model.advance();
        for (SimModel.Host h : model.hosts.values()) {
          if (search.get().stream().allMatch(t -> t.matches(h.name, cs))) {
            list.add(host(h));
          }
        }
      }
      send(ex, 200, collection("host", list));
    } else if (p.length == 3 && p[1].equals("hosts") && method.equals("GET")) {
      SimModel.Host h;
      synchronized (model) {
        model.advance();
        h = model.hosts.get(p[2]);
      }
      if (h == null) {
        send(ex, 404, fault("Not Found", "host " + p[2] + " does not exist"));
      } else {
        synchronized (model) {
          send(ex, 200, host(h));
        }
      }
    } else if (p.length == 4 && p[1].equals("hosts") && method.equals("POST")) {
      hostAction(ex, p[2], p[3], JSON.readTree(ex.getRequestBody()), user);
    } else if (p.length == 3 && p[1].equals("vms") && method.equals("PUT")) {
      update(ex, p[2], JSON.readTree(ex.getRequestBody()));
    } else if (path.equals("/clusters") && method.equals("GET")) {
      ArrayNode list = JSON.createArrayNode();
      Optional<List<SimSearch.Term>> search = search(ex, q, "name");
      if (search.isEmpty()) {
        return;
      }
      boolean cs = caseSensitive(q);
      synchronized (model) {
        model.clusters.forEach(
            (id, name) -> {
              if (search.get().stream().allMatch(t -> t.matches(name, cs))) {
                list.add(cluster(id));
              }
            });
      }
      send(ex, 200, collection("cluster", list));
    } else if (p.length == 3 && p[1].equals("clusters") && method.equals("GET")) {
      synchronized (model) {
        if (model.clusters.containsKey(p[2])) {
          send(ex, 200, cluster(p[2]));
        } else {
          send(ex, 404, fault("Not Found", "cluster " + p[2] + " does not exist"));
        }
      }
    } else if (path.equals("/events") && method.equals("GET")) {
      eventQueries.add(Optional.ofNullable(ex.getRequestURI().getRawQuery()).orElse(""));
      ArrayNode list = JSON.createArrayNode();
      Optional<Long> from = Optional.ofNullable(q.get("from")).map(Long::parseLong);
      Optional<Integer> max = Optional.ofNullable(q.get("max")).map(Integer::parseInt);
      for (SimModel.Event e : model.events(from, max)) {
        ObjectNode n =
            list.addObject().put("id", Long.toString(e.id())).put("description", e.description());
        if (e.vmId() != null) {
          n.putObject("vm").put("id", e.vmId());
        }
      }
      send(ex, 200, collection("event", list));
    } else {
      send(ex, 404, fault("Not Found", method + " " + path + " is not part of the simulator"));
    }
  }

  private void hostAction(HttpExchange ex, String hostId, String action, JsonNode body, String user)
      throws IOException {
    SimModel.Host h;
    synchronized (model) {
      h = model.hosts.get(hostId);
    }
    if (h == null) {
      send(ex, 404, fault("Not Found", "host " + hostId + " does not exist"));
      return;
    }
    Optional<String> refused;
    switch (action) {
      case "fence" -> {
        if (!body.path("fence_type").asText().equals("manual")) {
          send(ex, 400, fault("Bad Request", "the simulator knows only fence_type=manual"));
          return;
        }
        refused = model.confirmManualFence(h);
        model.audit(user, "", "fence_manual", "", "", h.name, refused);
      }
      case "deactivate" -> refused = model.deactivate(h);
      case "activate" -> refused = model.activate(h);
      default -> {
        send(
            ex, 404, fault("Not Found", "host action " + action + " is not part of the simulator"));
        return;
      }
    }
    outcome(ex, refused);
  }

  private void diskAttachments(HttpExchange ex, String vmId, boolean followDisk)
      throws IOException {
    ArrayNode list = JSON.createArrayNode();
    synchronized (model) {
      SimModel.Vm v = model.vms.get(vmId);
      if (v == null) {
        send(ex, 404, fault("Not Found", "VM " + vmId + " does not exist"));
        return;
      }
      boolean first = true;
      for (Map.Entry<String, String> d : v.disks.entrySet()) {
        ObjectNode a =
            list.addObject()
                .put("active", "true")
                .put("bootable", Boolean.toString(first))
                .put("interface", "virtio_scsi");
        ObjectNode disk = a.putObject("disk").put("id", v.id + "-" + d.getKey());
        if (followDisk) {
          disk.put("name", d.getKey())
              .put("status", d.getValue())
              .put("provisioned_size", "10737418240");
        }
        first = false;
      }
    }
    send(ex, 200, collection("disk_attachment", list));
  }

  /** PUT /vms/{id}: the cluster (by id or name) and the CD-ROM payload files. */
  private void update(HttpExchange ex, String vmId, JsonNode body) throws IOException {
    SimModel.Vm v;
    synchronized (model) {
      v = model.vms.get(vmId);
    }
    if (v == null) {
      send(ex, 404, fault("Not Found", "VM " + vmId + " does not exist"));
      return;
    }
    Optional<String> cluster = Optional.empty();
    JsonNode c = body.path("cluster");
    if (c.hasNonNull("id")) {
      cluster = Optional.of(c.path("id").asText());
    } else if (c.hasNonNull("name")) {
      try {
        cluster = Optional.of(model.clusterId(c.path("name").asText()));
      } catch (IllegalArgumentException e) {
        send(ex, 400, fault("Operation Failed", "[Cannot edit VM. Cluster does not exist.]"));
        return;
      }
    }
    Optional<Map<String, String>> payload = Optional.empty();
    if (body.has("payloads")) {
      Map<String, String> files = new java.util.LinkedHashMap<>();
      for (JsonNode pl : body.path("payloads").path("payload")) {
        if (!pl.path("type").asText().equals("cdrom")) {
          send(ex, 400, fault("Bad Request", "the simulator knows only cdrom payloads"));
          return;
        }
        for (JsonNode f : pl.path("files").path("file")) {
          files.put(f.path("name").asText(), f.path("content").asText());
        }
      }
      payload = Optional.of(files);
    }
    Optional<String> refused = model.update(v, cluster, payload);
    if (refused.isPresent()) {
      send(ex, 409, fault("Operation Failed", "[" + refused.get() + "]"));
      return;
    }
    synchronized (model) {
      send(ex, 200, vm(v, false)); // an update's answer expands nothing
    }
  }

  /**
   * A VM action, audited ({@link SimModel#actions}) with the VM's status and host as they were when
   * the action was taken, in the same critical section.
   */
  private void action(HttpExchange ex, String vmId, String action, JsonNode body, String user)
      throws IOException {
    synchronized (model) {
      model.advance();
      SimModel.Vm v = model.vms.get(vmId);
      String status = v == null ? "" : v.status;
      SimModel.Host on = v == null || v.hostId == null ? null : model.hosts.get(v.hostId);
      String target =
          action.equals("start")
              ? body.path("vm")
                  .path("placement_policy")
                  .path("hosts")
                  .path("host")
                  .path(0)
                  .path("name")
                  .asText("")
              : body.path("host").path("name").asText("");
      Optional<String> refused = act(ex, v, vmId, action, body);
      if (v != null) {
        model.audit(user, v.name, action, status, on == null ? "" : on.name, target, refused);
      }
    }
  }

  /** Takes the action; returns the refusal, or empty when done or already answered. */
  private Optional<String> act(
      HttpExchange ex, SimModel.Vm v, String vmId, String action, JsonNode body)
      throws IOException {
    if (v == null) {
      send(ex, 404, fault("Not Found", "VM " + vmId + " does not exist"));
      return Optional.empty();
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
          return Optional.of("no host " + hostName);
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
          return Optional.of("no host " + hostName);
        }
        refused = model.migrate(v, h.get());
      }
      case "shutdown" -> refused = model.shutdown(v);
      case "stop" -> refused = model.stop(v);
      default -> {
        send(ex, 404, fault("Not Found", "action " + action + " is not part of the simulator"));
        return Optional.of("unknown action");
      }
    }
    outcome(ex, refused);
    return refused;
  }

  /** A collection as engines send it: {"key": [...]}, with the key left out when empty. */
  private static ObjectNode collection(String key, ArrayNode list) {
    ObjectNode r = JSON.createObjectNode();
    if (!list.isEmpty()) {
      r.set(key, list);
    }
    return r;
  }

  /** An action's answer: the engine's refusal (409, reason in brackets) or completion. */
  private static void outcome(HttpExchange ex, Optional<String> refused) throws IOException {
    if (refused.isPresent()) {
      send(ex, 409, fault("Operation Failed", "[" + refused.get() + "]"));
    } else {
      send(ex, 200, JSON.createObjectNode().put("status", "complete"));
    }
  }

  private boolean matches(SimModel.Vm v, List<SimSearch.Term> search, boolean cs) {
    for (SimSearch.Term t : search) {
      boolean ok =
          switch (t.field()) {
            case "name" -> t.matches(v.name, cs);
            case "cluster" -> t.matches(model.clusters.get(v.clusterId), cs);
            default -> false; // search() refused any other field
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses the request's {@code search=} like the engine; answers 400 and returns empty when the
   * engine would refuse it (a syntax error, or a field this collection has not).
   */
  private static Optional<List<SimSearch.Term>> search(
      HttpExchange ex, Map<String, String> q, String... fields) throws IOException {
    List<SimSearch.Term> terms;
    try {
      terms = SimSearch.parse(q.getOrDefault("search", ""));
    } catch (SimSearch.SyntaxError e) {
      send(ex, 400, fault("Bad Request", "Search query is not valid: " + e.getMessage()));
      return Optional.empty();
    }
    for (SimSearch.Term t : terms) {
      if (!java.util.Arrays.asList(fields).contains(t.field())) {
        send(ex, 400, fault("Bad Request", "Search query is not valid: field " + t.field()));
        return Optional.empty();
      }
    }
    return Optional.of(terms);
  }

  /** Engines search ignoring case unless asked with {@code case_sensitive=true}. */
  private static boolean caseSensitive(Map<String, String> q) {
    return "true".equals(q.get("case_sensitive"));
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
    if (!v.payload.isEmpty()) {
      ArrayNode files =
          n.putObject("payloads")
              .putArray("payload")
              .addObject()
              .put("type", "cdrom")
              .putObject("files")
              .putArray("file");
      v.payload.forEach(
          (name, content) -> files.addObject().put("name", name).put("content", content));
    }
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

  private ObjectNode cluster(String id) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", id).put("name", model.clusters.get(id));
    n.putObject("data_center").put("name", model.clusterDatacenter.get(id));
    return n;
  }

  static ObjectNode fault(String reason, String detail) {
    return JSON.createObjectNode().put("reason", reason).put("detail", detail);
  }

  static void send(HttpExchange ex, int code, JsonNode body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    SimFaultReplies.send(ex, code, b); // as sent, or cut by an injected fault
  }

  static Map<String, String> form(String s) {
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
}
