package org.havirt.agent.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.havirt.agent.core.Agent;
import org.havirt.agent.core.CommandException;
import org.havirt.agent.core.Invocation;
import org.havirt.agent.core.ResourceStatus;
import org.havirt.agent.engine.PacemakerFaults;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.HostNames;
import org.havirt.types.backend.AttributeValue;

/**
 * Protocol v1 requests to agent calls and back (docs/protocol.md). One instance per connection.
 * Never throws: every bad request gets an error reply and the connection goes on.
 */
final class RequestHandler {
  static final int PROTOCOL_VERSION = 1;

  /** What a connection offers the handler: replies and, after subscribe, events. */
  interface Sink {
    void send(JsonNode line);

    /** Registers for events; returns false if already subscribed. */
    boolean subscribe(Consumer<ResourceStatus> onEvent);

    /** Called when no reply is owed any more. */
    void idle();
  }

  private final java.util.concurrent.atomic.AtomicInteger pending =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Returns how many requests still await their reply. */
  int pending() {
    return pending.get();
  }

  private final Agent agent;
  private final ResourceCatalog catalog;
  private final String agentVersion;
  private final Clock wall;
  private final Sink sink;
  private final MigrationPolicy migrations;
  private final PacemakerFaults faults;

  RequestHandler(
      Agent agent,
      ResourceCatalog catalog,
      String agentVersion,
      Clock wall,
      MigrationPolicy migrations,
      PacemakerFaults faults,
      Sink sink) {
    this.agent = agent;
    this.catalog = catalog;
    this.agentVersion = agentVersion;
    this.wall = wall;
    this.migrations = migrations;
    this.faults = faults;
    this.sink = sink;
  }

  /** Handles one request line. */
  void handle(String line) {
    JsonNode req;
    try {
      req = Json.MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      sink.send(Json.error(null, "bad_json", "not a JSON object: " + e.getOriginalMessage()));
      return;
    }
    if (req == null || !req.isObject()) {
      sink.send(Json.error(null, "bad_request", "a request is one JSON object per line"));
      return;
    }
    JsonNode idNode = req.get("id");
    Object id =
        idNode == null || idNode.isNull()
            ? null
            : (idNode.isNumber() ? idNode.numberValue() : idNode.asText());
    if (id == null || !(idNode.isTextual() || idNode.isIntegralNumber())) {
      sink.send(
          Json.error(null, "bad_request", "every request needs an \"id\" (string or integer)"));
      return;
    }
    String op = text(req, "op");
    if (op == null) {
      sink.send(Json.error(id, "bad_request", "every request needs an \"op\""));
      return;
    }
    try {
      dispatch(id, op, req);
    } catch (CommandException e) {
      sink.send(Json.error(id, e.code(), e.getMessage()));
    } catch (IllegalArgumentException e) {
      sink.send(Json.error(id, "bad_request", e.getMessage()));
    }
  }

  private void dispatch(Object id, String op, JsonNode req) {
    switch (op) {
      case "hello" -> hello(id, req);
      case "status" ->
          answer(
              id,
              agent.status(Optional.ofNullable(text(req, "resource"))),
              list -> {
                ObjectNode r = ok(id);
                var arr = r.putArray("resources");
                list.forEach(s -> arr.add(Json.status(s)));
                return r;
              });
      case "online" -> command(id, req, Invocation.of(EntryPoint.ONLINE));
      case "offline" -> command(id, req, Invocation.of(EntryPoint.OFFLINE));
      case "monitor" -> command(id, req, Invocation.of(EntryPoint.MONITOR));
        // The environment validation of open (spec §8), on demand: exec done, or failed with the
        // first failed check as the reason and every one in the output.
      case "verify" -> command(id, req, Invocation.of(EntryPoint.OPEN));
      case "clean" -> {
        int code = req.path("reason").asInt(CleanReason.UNEXPECTED_OFFLINE.code());
        CleanReason why =
            CleanReason.fromCode(code)
                .orElseThrow(
                    () -> new IllegalArgumentException("\"reason\" must be a clean reason 0-5"));
        command(id, req, Invocation.clean(why));
      }
      case "migrate" -> {
        String target = required(req, "target");
        String res = required(req, "resource");
        Optional<String> refusal = migrations.refuse(res, target);
        if (refusal.isPresent()) {
          throw new CommandException("refused", refusal.get());
        }
        command(id, req, Invocation.migrate(target));
      }
      case "action" -> {
        List<String> args = new ArrayList<>();
        req.path("args").forEach(a -> args.add(a.asText()));
        command(id, req, Invocation.action(required(req, "name"), args));
      }
      case "clear" ->
          answer(
              id,
              agent.clear(required(req, "resource")),
              s -> ok(id).set("status", Json.status(s)));
      case "add" -> {
        String res = required(req, "resource");
        String type = Optional.ofNullable(text(req, "type")).orElse("KVMGuest");
        var spec = withPeers(req, catalog.resolve(res, type, Optional.empty(), attributes(req)));
        Optional<PacemakerFaults.Binding> pcmk = pacemaker(req);
        answer(
            id,
            agent.add(res, type, spec),
            s -> {
              pcmk.ifPresent(b -> faults.bind(res, b));
              return ok(id).set("status", Json.status(s));
            });
      }
      case "modify" -> {
        String res = required(req, "resource");
        Map<String, AttributeValue> values = attributes(req);
        Optional<PacemakerFaults.Binding> pcmk = pacemaker(req);
        answer(
            id,
            agent.modifyWith(
                res,
                (type, current) ->
                    withPeers(req, catalog.resolve(res, type, Optional.of(current), values))),
            s -> {
              pcmk.ifPresent(b -> faults.bind(res, b));
              return ok(id).set("status", Json.status(s));
            });
      }
      case "delete" -> {
        String res = required(req, "resource");
        answer(
            id,
            agent.delete(res),
            n -> {
              faults.unbind(res);
              return ok(id);
            });
      }
      case "subscribe" -> {
        boolean fresh =
            sink.subscribe(s -> sink.send(Json.event(s, wall.instant().toString(), false)));
        ObjectNode r = ok(id);
        r.put("subscribed", fresh);
        sink.send(r);
        if (fresh) {
          // Start the subscriber from the whole picture; later events carry higher seq numbers
          // (one may repeat a seq already in the snapshot: clients keep the highest per resource).
          answer(
              id,
              agent.status(Optional.empty()),
              list -> {
                list.forEach(st -> sink.send(Json.event(st, wall.instant().toString(), true)));
                return null;
              });
        }
      }
      default ->
          throw new CommandException("unknown_op", "unknown op '" + op + "'; see docs/protocol.md");
    }
  }

  private void hello(Object id, JsonNode req) {
    List<Integer> offered = new ArrayList<>();
    req.path("versions").forEach(v -> offered.add(v.asInt()));
    if (!offered.isEmpty() && !offered.contains(PROTOCOL_VERSION)) {
      throw new CommandException(
          "unsupported_version",
          "this agent speaks protocol " + PROTOCOL_VERSION + "; offered " + offered);
    }
    ObjectNode r = ok(id);
    r.put("protocol", PROTOCOL_VERSION);
    r.put("agent", "havirt");
    r.put("version", agentVersion);
    var types = r.putArray("types");
    catalog.types().forEach(types::add);
    sink.send(r);
  }

  private void command(Object id, JsonNode req, Invocation inv) {
    answer(
        id,
        agent.command(required(req, "resource"), inv),
        reply -> {
          ObjectNode r = ok(id);
          r.setAll(Json.reply(reply));
          return r;
        });
  }

  private <T> void answer(
      Object id, CompletableFuture<T> f, java.util.function.Function<T, ObjectNode> render) {
    pending.incrementAndGet();
    f.whenComplete(
        (value, err) -> {
          try {
            reply(id, value, err, render);
          } finally {
            if (pending.decrementAndGet() == 0) {
              sink.idle();
            }
          }
        });
  }

  private <T> void reply(
      Object id, T value, Throwable err, java.util.function.Function<T, ObjectNode> render) {
    if (err == null) {
      ObjectNode line = render.apply(value);
      if (line != null) {
        sink.send(line);
      }
      return;
    }
    Throwable cause =
        err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    if (cause instanceof CommandException ce) {
      sink.send(Json.error(id, ce.code(), ce.getMessage()));
    } else if (cause instanceof IllegalArgumentException iae) {
      sink.send(Json.error(id, "bad_request", iae.getMessage()));
    } else {
      sink.send(Json.error(id, "internal", String.valueOf(cause.getMessage())));
    }
  }

  /**
   * {@code "pacemaker": {"resource": R, "node": N}}: Pacemaker placed this resource as R on node N,
   * so a fault is reported to it at once (see {@link PacemakerFaults}).
   */
  private static Optional<PacemakerFaults.Binding> pacemaker(JsonNode req) {
    JsonNode p = req.get("pacemaker");
    if (p == null || p.isNull()) {
      return Optional.empty();
    }
    String r = p.path("resource").asText("");
    String n = p.path("node").asText("");
    if (!p.isObject() || r.isBlank() || n.isBlank()) {
      throw new IllegalArgumentException(
          "\"pacemaker\" must be {\"resource\": NAME, \"node\": NODE}");
    }
    return Optional.of(new PacemakerFaults.Binding(r, n));
  }

  /**
   * {@code "peers"}: the hypervisors of the other nodes that may run the guest, where the
   * split-brain guard looks (an engine without main.cf, such as Pacemaker, says them here).
   */
  private static org.havirt.types.backend.GuestSpec withPeers(
      JsonNode req, org.havirt.types.backend.GuestSpec spec) {
    JsonNode p = req.get("peers");
    if (p == null) {
      return spec;
    }
    if (!p.isArray()) {
      throw new IllegalArgumentException("\"peers\" must be an array of host names");
    }
    java.util.List<String> peers = new java.util.ArrayList<>();
    for (JsonNode n : p) {
      if (!n.isTextual() || n.asText().isBlank()) {
        throw new IllegalArgumentException("\"peers\" must be an array of host names");
      }
      // A peer goes into the libvirt URI template: anything but a host name or IP literal could
      // change the URI (its path, user or transport options), so it is refused here (issue 15).
      Optional<String> problem = HostNames.problem(n.asText());
      if (problem.isPresent()) {
        throw new IllegalArgumentException(
            "\"peers\": " + HostNames.describe(n.asText(), problem.get()));
      }
      peers.add(n.asText());
    }
    return new org.havirt.types.backend.GuestSpec(spec.resource(), spec.attributes(), peers);
  }

  private static Map<String, AttributeValue> attributes(JsonNode req) {
    JsonNode attrs = req.get("attributes");
    if (attrs == null || !attrs.isObject()) {
      throw new IllegalArgumentException("\"attributes\" must be an object of attribute values");
    }
    Map<String, AttributeValue> out = new LinkedHashMap<>();
    attrs.fields().forEachRemaining(e -> out.put(e.getKey(), value(e.getKey(), e.getValue())));
    return out;
  }

  private static AttributeValue value(String name, JsonNode v) {
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      v.forEach(i -> items.add(scalar(name, i)));
      return new AttributeValue.Vector(items);
    }
    if (v.isObject()) {
      Map<String, String> m = new LinkedHashMap<>();
      v.fields()
          .forEachRemaining(e -> m.put(e.getKey(), scalar(name + "." + e.getKey(), e.getValue())));
      return new AttributeValue.Association(m);
    }
    return new AttributeValue.Scalar(scalar(name, v));
  }

  private static String scalar(String name, JsonNode v) {
    if (v.isBoolean()) {
      return v.booleanValue() ? "1" : "0";
    }
    if (v.isTextual() || v.isNumber()) {
      return v.asText();
    }
    throw new IllegalArgumentException(
        "attribute " + name + ": expected a string, number or boolean");
  }

  private static ObjectNode ok(Object id) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.set("id", Json.MAPPER.valueToTree(id));
    n.put("ok", true);
    return n;
  }

  private static String text(JsonNode req, String field) {
    JsonNode n = req.get(field);
    return n == null || n.isNull() || !n.isValueNode() ? null : n.asText();
  }

  private static String required(JsonNode req, String field) {
    String v = text(req, field);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("this op needs \"" + field + "\"");
    }
    return v;
  }
}
