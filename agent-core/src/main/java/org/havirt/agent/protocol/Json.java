package org.havirt.agent.protocol;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.havirt.agent.core.CommandReply;
import org.havirt.agent.core.ResourceStatus;

/** The protocol's JSON shapes, in one place. */
public final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode status(ResourceStatus s) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("name", s.name());
    n.put("type", s.type());
    n.put("state", s.state().displayName());
    n.put("confidence", s.confidence());
    n.put("reason", s.reason());
    n.put("flag", s.flag().map(Enum::name).orElse(null));
    n.put("expected", s.expected());
    n.put("busy", s.busy().orElse(null));
    n.put("lastMonitor", s.lastMonitor().map(Object::toString).orElse(null));
    // Always present: OFFLINE with this true is not stopped (docs/protocol.md).
    n.put("guestActive", s.guestActive());
    n.put("seq", s.seq());
    return n;
  }

  /** The event line of {@code s} as sent to subscribers (before its newline). */
  public static ObjectNode event(ResourceStatus s, String ts, boolean snapshot) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("event", "state");
    if (snapshot) {
      n.put("snapshot", true);
    }
    n.put("resource", s.name());
    n.put("state", s.state().displayName());
    n.put("confidence", s.confidence());
    n.put("reason", s.reason());
    n.put("flag", s.flag().map(Enum::name).orElse(null));
    n.put("seq", s.seq());
    n.put("ts", ts);
    return n;
  }

  static ObjectNode reply(CommandReply r) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("exec", r.exec().name().toLowerCase(java.util.Locale.ROOT));
    n.put("reason", r.reason());
    n.set("status", status(r.status()));
    // Always present, so a client can tell "not certain" from an agent too old to say.
    n.put("guestAbsent", r.guestAbsent());
    if (!r.output().isEmpty()) {
      n.put("output", r.output());
    }
    return n;
  }

  static ObjectNode error(Object id, String code, String message) {
    ObjectNode n = MAPPER.createObjectNode();
    if (id == null) {
      n.putNull("id");
    } else {
      n.set("id", MAPPER.valueToTree(id));
    }
    n.put("ok", false);
    ObjectNode e = n.putObject("error");
    e.put("code", code);
    e.put("message", message);
    return n;
  }

  static ArrayNode array() {
    return MAPPER.createArrayNode();
  }
}
