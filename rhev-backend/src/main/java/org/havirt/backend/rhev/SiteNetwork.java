package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.dr.DrNetwork;

/**
 * Disaster recovery at start (spec §7): with DROpts.ConfigureNetwork = 1 the VM gets a CD-ROM
 * payload with this site's network and, when this host is in another RHEV cluster, moves to it,
 * both in one update before the start. Without DROpts a start in another cluster is refused.
 * Stateless.
 */
final class SiteNetwork {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SiteNetwork.class);

  private SiteNetwork() {}

  /** Prepares {@code vm} (down) to start on {@code host}; returns whether it changed the VM. */
  static boolean prepare(RhevClient c, GuestSpec guest, JsonNode vm, JsonNode host, Deadline d)
      throws BackendException {
    Optional<DrNetwork> dr = Optional.empty();
    if (DrNetwork.requested(guest)) {
      DrNetwork.Parsed p = DrNetwork.parse(guest);
      if (p.network().isEmpty()) {
        throw new BackendException(
            Kind.MISCONFIGURED, "DROpts is not usable: " + String.join("; ", p.problems()));
      }
      dr = p.network();
    }
    String vmCluster = RhevHosts.clusterId(vm);
    String hostCluster = RhevHosts.clusterId(host);
    boolean otherCluster = !vmCluster.equals(hostCluster);
    if (otherCluster && dr.isEmpty()) {
      throw new BackendException(
          Kind.FAILED,
          "VM "
              + guest.guestName()
              + " is in RHEV cluster "
              + RhevHosts.clusterName(c, vmCluster, d)
              + " and host "
              + host.path("name").asText()
              + " is in cluster "
              + RhevHosts.clusterName(c, hostCluster, d)
              + ": a VM is started on a host of another RHEV cluster only for disaster recovery,"
              + " with DROpts (ConfigureNetwork = 1 and this site's network) set on the resource;"
              + " for local high availability keep every system of the group in one RHEV cluster");
    }
    ObjectNode update = RhevClient.JSON.createObjectNode();
    if (otherCluster) {
      update.putObject("cluster").put("id", hostCluster);
    }
    if (dr.isPresent()) {
      ArrayNode files =
          update
              .putObject("payloads")
              .putArray("payload")
              .addObject()
              .put("type", "cdrom")
              .putObject("files")
              .putArray("file");
      files.addObject().put("name", DrNetwork.PAYLOAD_FILE).put("content", dr.get().payload());
    } else if (hasOurPayload(vm)) {
      // A payload left by a DR start elsewhere would give the guest the other site's network.
      update.putObject("payloads").putArray("payload");
    }
    if (update.isEmpty()) {
      return false;
    }
    log.info(
        "updating VM before start guest={} moveToCluster={} payload={}",
        guest.guestName(),
        otherCluster ? hostCluster : "-",
        dr.isPresent() ? "set" : "removed");
    c.put("vms/" + vm.path("id").asText(), update, d);
    return true;
  }

  private static boolean hasOurPayload(JsonNode vm) {
    for (JsonNode p : vm.path("payloads").path("payload")) {
      for (JsonNode f : p.path("files").path("file")) {
        if (f.path("name").asText().equals(DrNetwork.PAYLOAD_FILE)) {
          return true;
        }
      }
    }
    return false;
  }
}
