package org.havirt.agent.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.dr.DrNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Validates a resource's environment: GuestName, then the backend's own checks, then DROpts. The
 * same code serves havirtverify and the agent's open and attr_changed. Every outcome is logged, so
 * it reaches the engine log. Stateless and thread-safe.
 */
public final class Verifier {
  private static final Logger log = LoggerFactory.getLogger(Verifier.class);

  private Verifier() {}

  /**
   * @param backend the backend that serves the guest here, or empty when none does
   * @param available the backends this node has, for the message when none serves the guest
   */
  public static Verification verify(
      GuestSpec guest, Optional<VmBackend> backend, List<String> available, Deadline deadline) {
    boolean rhev =
        guest.associationKey("RHEVMInfo", "Enabled").map(v -> v.trim().equals("1")).orElse(false);
    List<Check> checks = new ArrayList<>();
    if (guest.guestName().isBlank()) {
      checks.add(
          Check.fail(
              "guestname",
              "GuestName is not set",
              "set GuestName to the VM's name in " + (rhev ? "RHEV-M" : "libvirt")));
    } else if (backend.isEmpty()) {
      checks.add(
          Check.fail(
              "backend",
              "no " + (rhev ? "RHEV" : "KVM") + " backend on this node (have: " + available + ")",
              "install the havirt package with its backends"));
    } else {
      checks.addAll(backend.get().verify(guest, deadline));
    }
    if (DrNetwork.requested(guest)) {
      DrNetwork.Parsed p = DrNetwork.parse(guest);
      checks.add(
          p.network().isPresent()
              ? Check.pass(
                  "dropts",
                  "DROpts: "
                      + p.network().get().address().getHostAddress()
                      + "/"
                      + p.network().get().prefix())
              : Check.fail(
                  "dropts",
                  "DROpts is not usable: " + String.join("; ", p.problems()),
                  "fix those DROpts keys (or set ConfigureNetwork = 0)"));
    }
    Verification v = new Verification(guest.resource(), rhev, checks);
    if (v.passed()) {
      log.info(
          "environment validation passed resource={} environment={}",
          guest.resource(),
          v.environment());
    } else {
      for (Check c : v.failures()) {
        log.warn(
            "environment validation failed resource={} check={} problem={}",
            guest.resource(),
            c.name(),
            c.line());
      }
    }
    return v;
  }
}
