package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;

/**
 * Where a VM runs, relative to this node, by RHEV host <em>id</em> (spec §6). A VM's {@code host}
 * link always carries the id; its name appears only when the engine expands the link ({@code
 * follow=host}, 4.2 and later, and no proxy stripping the parameter), so names are never compared.
 * This node's host id is resolved once per client from RHEV-M's host list (this node's host is the
 * one named exactly {@code rhev.host}), and the list is read again whenever a VM names a host id
 * the last list did not have: that is how a host re-registered under a new id, this one included,
 * is noticed. The list also gives other hosts' names for messages. Thread-safe.
 */
final class RhevHostIds {
  /** Where a VM is, as far as hosts go. */
  enum Where {
    /** On this node's RHEV host. */
    HERE,
    /** On another host RHEV-M lists. */
    ELSEWHERE,
    /** RHEV-M names no host for the VM. */
    NO_HOST,
    /** RHEV-M names a host, but whether it is this node's cannot be established. */
    UNESTABLISHED
  }

  /**
   * @param where where the VM is
   * @param hostName the host's name (this node's configured name when HERE), else empty
   * @param why for UNESTABLISHED, why; else empty
   */
  record Place(Where where, String hostName, String why) {}

  private record Snapshot(Map<String, String> nameById, Optional<String> thisId) {}

  private final RhevClient client;
  private final String thisHost;
  private volatile Snapshot snapshot; // null until first needed

  RhevHostIds(RhevClient client, String thisHost) {
    this.client = client;
    this.thisHost = thisHost;
  }

  /**
   * Returns where {@code vm} (a VM as RHEV-M lists it) is. Reads RHEV-M's host list when it has
   * never been read, or when it lacks the VM's host or this node's. Throws when that read fails.
   */
  Place place(JsonNode vm, Deadline d) throws BackendException {
    String id = vm.path("host").path("id").asText("");
    if (id.isEmpty()) {
      return new Place(Where.NO_HOST, "", "");
    }
    Snapshot s = snapshot;
    if (s == null || !s.nameById().containsKey(id) || s.thisId().isEmpty()) {
      s = refresh(d);
    }
    if (s.thisId().isEmpty()) {
      return new Place(
          Where.UNESTABLISHED,
          "",
          "RHEV-M has no host named '"
              + thisHost
              + "' (this system's PhysicalServer, else its system name), so it cannot tell"
              + " whether the VM runs here");
    }
    if (id.equals(s.thisId().get())) {
      return new Place(Where.HERE, thisHost, "");
    }
    String name = s.nameById().get(id);
    if (name == null) {
      return new Place(
          Where.UNESTABLISHED,
          "",
          "it names host " + id + ", which RHEV-M does not list, so it cannot tell where it runs");
    }
    return new Place(Where.ELSEWHERE, name, "");
  }

  private Snapshot refresh(Deadline d) throws BackendException {
    Map<String, String> names = new HashMap<>();
    Optional<String> mine = Optional.empty();
    for (JsonNode h : RhevHosts.all(client, d)) {
      String id = h.path("id").asText("");
      String name = h.path("name").asText("");
      if (id.isEmpty()) {
        continue;
      }
      names.put(id, name);
      if (name.equals(thisHost)) {
        mine = Optional.of(id); // exact name: RHEV-M's own search would ignore case
      }
    }
    Snapshot s = new Snapshot(Map.copyOf(names), mine);
    snapshot = s;
    return s;
  }
}
