package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;

/** Host and cluster lookups shared by start, migrate and the DR trigger. Stateless. */
final class RhevHosts {
  private RhevHosts() {}

  /** Returns the host named exactly {@code name} ({@link RhevSearch}: matches are compared). */
  static Optional<JsonNode> byName(RhevClient c, String name, Deadline d) throws BackendException {
    for (JsonNode h : RhevClient.items(c.get("hosts", d, RhevSearch.byName(name)), "host")) {
      if (h.path("name").asText().equals(name)) {
        return Optional.of(h);
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the host named {@code name}, or a MISCONFIGURED error saying where the name came from.
   */
  static JsonNode require(RhevClient c, String name, String whose, Deadline d)
      throws BackendException {
    return byName(c, name, d)
        .orElseThrow(
            () ->
                new BackendException(
                    Kind.MISCONFIGURED,
                    "RHEV-M has no host named '"
                        + name
                        + "' ("
                        + whose
                        + "'s PhysicalServer, else its system name)"));
  }

  /** Every host RHEV-M knows. */
  static List<JsonNode> all(RhevClient c, Deadline d) throws BackendException {
    List<JsonNode> out = new ArrayList<>();
    RhevClient.items(c.get("hosts", d), "host").forEach(out::add);
    return out;
  }

  static String clusterId(JsonNode hostOrVm) {
    return hostOrVm.path("cluster").path("id").asText("");
  }

  /** Returns the cluster's name for messages, or its id when RHEV-M cannot say. */
  static String clusterName(RhevClient c, String id, Deadline d) {
    try {
      return c.get("clusters/" + id, d).path("name").asText(id);
    } catch (BackendException e) {
      return id;
    }
  }

  /** Returns the id of the cluster named exactly {@code name}, if RHEV-M has one. */
  static Optional<String> clusterIdByName(RhevClient c, String name, Deadline d)
      throws BackendException {
    for (JsonNode cl : RhevClient.items(c.get("clusters", d, RhevSearch.byName(name)), "cluster")) {
      if (cl.path("name").asText().equals(name)) {
        return Optional.of(cl.path("id").asText());
      }
    }
    return Optional.empty();
  }
}
