package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import org.havirt.types.Deadline;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;

/** The DevScan action for RHEV guests (spec §3). Reads only. Stateless. */
final class RhevDevScan {
  private RhevDevScan() {}

  /** Lists the VM's disks as RHEV-M sees them; any disk not ok or not active fails the scan. */
  static ActionOutput scan(RhevClient c, GuestSpec guest, Deadline deadline)
      throws BackendException {
    JsonNode vm = RhevBackend.requireVm(c, guest, deadline);
    JsonNode list =
        c.get("vms/" + vm.path("id").asText() + "/diskattachments", deadline, "follow", "disk");
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    for (JsonNode a : RhevClient.items(list, "disk_attachment")) {
      JsonNode d = a.path("disk");
      String status = d.path("status").asText("unknown");
      boolean active = a.path("active").asBoolean(true); // "true" as a string too
      boolean good = status.equals("ok") && active;
      ok &= good;
      out.append("disk ")
          .append(d.path("name").asText(d.path("id").asText("?")))
          .append(" (")
          .append(a.path("interface").asText("?"))
          .append(active ? "" : ", inactive")
          .append("): ")
          .append(status)
          .append(good ? " OK" : " NOT USABLE")
          .append('\n');
    }
    if (out.length() == 0) {
      out.append("VM ").append(guest.guestName()).append(" has no disks\n");
    }
    return new ActionOutput(ok, out.toString().strip());
  }
}
