package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;

/** Manual fencing (RHEVMInfo.UseManualRHEVMFencing, spec §7). Stateless. */
final class ManualFencing {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(ManualFencing.class);

  private ManualFencing() {}

  /**
   * A VM that is unknown because its host stopped answering may still run there. Only with
   * UseManualRHEVMFencing = 1, and only when RHEV-M says that host is non_responsive, does the
   * agent confirm the host's manual fence (the administrator's promise that the host was rebooted),
   * then wait for RHEV-M to release the VM. Anything else: refuse, saying why.
   */
  static JsonNode releaseFromDeadHost(RhevClient c, GuestSpec guest, JsonNode vm, Deadline deadline)
      throws BackendException {
    // The host's name and status come from RHEV-M now, by id: an engine that does not expand
    // links gives only the id, and the status must be fresh before confirming a fence.
    String hostId = vm.path("host").path("id").asText("");
    JsonNode h = RhevClient.JSON.createObjectNode();
    if (!hostId.isEmpty()) {
      try {
        h = c.get("hosts/" + hostId, deadline);
      } catch (BackendException e) {
        if (e.kind() != Kind.NOT_FOUND) {
          throw e;
        }
      }
    }
    String host = h.path("name").asText(hostId);
    String hostStatus = h.path("status").asText("");
    boolean manual =
        guest
            .associationKey("RHEVMInfo", "UseManualRHEVMFencing")
            .map(v -> v.trim().equals("1"))
            .orElse(false);
    if (!manual || host.isEmpty() || !hostStatus.equals("non_responsive")) {
      throw new BackendException(
          Kind.FAILED,
          "VM "
              + guest.guestName()
              + " is unknown"
              + (host.isEmpty()
                  ? ""
                  : " on host "
                      + host
                      + " ("
                      + (hostStatus.isEmpty() ? "status unknown" : hostStatus)
                      + ")")
              + "; it may still run there, so it is not started here"
              + (manual
                  ? ""
                  : " (with RHEVMInfo.UseManualRHEVMFencing = 1 the agent can confirm a dead host's fence)"));
    }
    log.warn("confirming manual fence host={} guest={}", host, guest.guestName());
    ObjectNode fence = RhevClient.JSON.createObjectNode().put("fence_type", "manual");
    c.post("hosts/" + hostId + "/fence", fence, deadline);
    while (!deadline.isExpired()) {
      JsonNode now = RhevBackend.requireVm(c, guest, deadline);
      if (now.path("status").asText().equals("down")) {
        return now;
      }
      try {
        Thread.sleep(
            Math.min(
                500, Math.max(1, deadline.remaining().toMillis()))); // RHEV-M has no push: poll
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    throw new BackendException(
        Kind.TIMED_OUT,
        "RHEV-M did not release VM "
            + guest.guestName()
            + " after the manual fence of host "
            + host);
  }
}
