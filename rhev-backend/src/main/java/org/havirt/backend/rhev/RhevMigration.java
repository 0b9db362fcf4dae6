package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;

/** The RHEV migrate entry point (spec §3, §6). Stateless. */
final class RhevMigration {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(RhevMigration.class);

  private RhevMigration() {}

  /**
   * Migrates {@code guest}'s VM to {@code target} after checking, in this order, that it may
   * migrate (placement affinity), that the target host exists and shares the VM's cluster, and that
   * the VM runs on this node's host (by id): a VM elsewhere is never migrated from here, and one
   * already on the target is left where it is.
   */
  static void migrate(
      RhevClient c,
      RhevHostIds hostIds,
      String thisHost,
      GuestSpec guest,
      MigrationTarget target,
      Deadline deadline)
      throws BackendException {
    JsonNode vm = RhevBackend.requireVm(c, guest, deadline);
    String affinity = vm.path("placement_policy").path("affinity").asText("migratable");
    if (!affinity.equals("migratable")) {
      throw new BackendException(
          Kind.FAILED,
          "VM "
              + guest.guestName()
              + " has placement affinity '"
              + affinity
              + "', which does not allow migration");
    }
    JsonNode host = RhevHosts.require(c, target.hypervisor(), "the target system", deadline);
    if (!host.path("cluster").path("id").asText().equals(vm.path("cluster").path("id").asText())) {
      throw new BackendException(
          Kind.FAILED,
          "host "
              + target.hypervisor()
              + " is in another RHEV cluster than VM "
              + guest.guestName()
              + ": migration across clusters (or DR sites) is refused; fail over instead");
    }
    RhevHostIds.Place p = hostIds.place(vm, deadline);
    switch (p.where()) {
      case HERE -> {
        // ours to move: below
      }
      case ELSEWHERE -> {
        // another host's VM: never moved from here, but one already on the target is done
        if (host.path("id").asText().equals(vm.path("host").path("id").asText())) {
          log.info("migrate of {}: VM already on host {}", guest.resource(), p.hostName());
          return; // already where the engine wants it
        }
        throw new BackendException(
            Kind.FAILED,
            "VM "
                + guest.guestName()
                + " runs on host "
                + p.hostName()
                + ", not on this host ("
                + thisHost
                + "); it is not migrated from here");
      }
      case NO_HOST -> // down, or running where RHEV-M does not say: nothing to move from here
          throw new BackendException(
              Kind.FAILED,
              "VM "
                  + guest.guestName()
                  + " is "
                  + vm.path("status").asText("?")
                  + " and RHEV-M names no host for it; it is not migrated from here");
      case UNESTABLISHED -> // a host that may or may not be this one
          throw new BackendException(
              Kind.TRANSIENT, "VM " + guest.guestName() + ": " + p.why() + "; not migrating it");
    }
    ObjectNode body = RhevClient.JSON.createObjectNode();
    body.putObject("host").put("name", target.hypervisor());
    c.post("vms/" + vm.path("id").asText() + "/migrate", body, deadline);
  }
}
