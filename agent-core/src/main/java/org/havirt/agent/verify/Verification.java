package org.havirt.agent.verify;

import java.util.List;
import java.util.Optional;
import org.havirt.types.backend.Check;

/**
 * The outcome of validating one resource's environment: every check made, in order. Immutable.
 *
 * @param rhev whether the resource is a RHEV guest (it chooses the success line)
 */
public record Verification(String resource, boolean rhev, List<Check> checks) {
  public Verification {
    checks = List.copyOf(checks);
  }

  public boolean passed() {
    return checks.stream().allMatch(Check::passed);
  }

  public List<Check> failures() {
    return checks.stream().filter(c -> !c.passed()).toList();
  }

  /**
   * Whether the environment failed only because the guest is certainly not on this node (issue
   * 14.3): exactly one check failed, and it is a {@link Check#guestAbsent} one. Any other failure
   * beside it (a bad attribute, an unreachable hypervisor, SyncDir missing) makes it false: the
   * answer is then the plain validation failure.
   */
  public boolean guestAbsent() {
    List<Check> failed = failures();
    return failed.size() == 1 && failed.get(0).guestAbsent();
  }

  public Optional<Check> firstFailure() {
    return failures().stream().findFirst();
  }

  /** The environment's name in the lines of spec §8. */
  public String environment() {
    return rhev ? "RHEV" : "KVM";
  }

  /** Exactly the success or failure line of spec §8. */
  public String headline() {
    if (passed()) {
      return (rhev ? "Red Hat Enterprise Virtualization Environment" : "KVM Environment")
          + " validation successfully completed for resource "
          + resource;
    }
    return "Virtualization environment validation failed for resource " + resource;
  }

  /** The headline, then one line per failed check. */
  public String report() {
    StringBuilder s = new StringBuilder(headline());
    for (Check c : failures()) {
      s.append('\n').append(c.line());
    }
    return s.toString();
  }
}
