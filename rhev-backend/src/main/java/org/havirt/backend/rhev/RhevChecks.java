package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;

/**
 * The RHEV environment checks of havirtverify (spec §8): RHEV-M reachable over verified TLS, the
 * credentials valid, the cluster, the VM by exact name, RHEV's own HA off for it, and this system's
 * RHEV host. Reads only. Stateless.
 */
final class RhevChecks {
  private RhevChecks() {}

  interface ClientSource {
    RhevClient client(GuestSpec g) throws BackendException;
  }

  static List<Check> verify(
      ClientSource clients, GuestSpec guest, String thisHost, Deadline deadline) {
    List<Check> out = new ArrayList<>();
    RhevClient c;
    try {
      c = clients.client(guest);
    } catch (BackendException e) {
      out.add(Check.fail("rhevminfo", e.getMessage(), "fix RHEVMInfo in main.cf"));
      return out;
    }
    String url = guest.associationKey("RHEVMInfo", "URL").orElse("?");
    String user = guest.associationKey("RHEVMInfo", "User").orElse("?");
    try {
      c.get("", deadline);
      out.add(Check.pass("rhevm", "RHEV-M at " + url + " answers over verified TLS"));
      out.add(Check.pass("credentials", "user " + user + " is accepted"));
    } catch (BackendException e) {
      switch (e.kind()) {
        case PERMISSION -> {
          out.add(Check.pass("rhevm", "RHEV-M at " + url + " answers over verified TLS"));
          out.add(
              Check.fail(
                  "credentials",
                  e.getMessage(),
                  "check RHEVMInfo.User (user@domain) and re-encrypt the password with"
                      + " 'havirt encrypt'"));
        }
        case MISCONFIGURED ->
            out.add(
                Check.fail(
                    "rhevm",
                    e.getMessage(),
                    "give RHEV-M's CA certificate with RHEVMInfo CAFile (or the node's"
                        + " rhev.ca.file), and an https:// URL"));
        case NOT_FOUND, TRANSIENT, TIMED_OUT, NOT_INSTALLED, UNSUPPORTED, FAILED ->
            out.add(
                Check.fail(
                    "rhevm",
                    e.getMessage(),
                    "check RHEVMInfo.URL, that RHEV-M runs, and that this host can reach it"));
      }
      return out;
    }
    try {
      Optional<String> cluster = guest.associationKey("RHEVMInfo", "Cluster");
      if (cluster.isEmpty()) {
        out.add(
            Check.fail(
                "cluster",
                "RHEVMInfo.Cluster is not set",
                "set it to the RHEV cluster of this site's hosts"));
      } else if (RhevHosts.clusterIdByName(c, cluster.get(), deadline).isEmpty()) {
        out.add(
            Check.fail(
                "cluster",
                "RHEV-M has no cluster named '" + cluster.get() + "'",
                "set RHEVMInfo.Cluster to a cluster RHEV-M lists (names are case-sensitive)"));
      } else {
        out.add(Check.pass("cluster", "cluster " + cluster.get() + " exists"));
      }
      Optional<JsonNode> vm = RhevBackend.findVm(c, guest.guestName(), deadline);
      if (vm.isEmpty()) {
        out.add(
            Check.fail(
                "vm",
                "RHEV-M has no VM named exactly '" + guest.guestName() + "'",
                "set GuestName to the VM's name in RHEV-M (case-sensitive)"));
      } else {
        out.add(Check.pass("vm", "VM " + guest.guestName() + " exists"));
        boolean ha = vm.get().path("high_availability").path("enabled").asBoolean(false);
        out.add(
            ha
                ? Check.fail(
                    "rhev-ha",
                    "RHEV's own high availability is enabled for VM " + guest.guestName(),
                    "disable it (VM > Edit > High Availability), or RHEV-M and the cluster engine"
                        + " will both restart the VM")
                : Check.pass("rhev-ha", "RHEV's own high availability is off for the VM"));
      }
      if (RhevHosts.byName(c, thisHost, deadline).isEmpty()) {
        out.add(
            Check.fail(
                "host",
                "RHEV-M has no host named '" + thisHost + "' (this system)",
                "set this system's PhysicalServer to its host name in RHEV-M"));
      } else {
        out.add(Check.pass("host", "this system is RHEV host " + thisHost));
      }
    } catch (BackendException e) {
      out.add(Check.fail("rhevm", "RHEV-M stopped answering: " + e.getMessage(), "try again"));
    }
    return out;
  }
}
