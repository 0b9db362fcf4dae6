package org.havirt.types.backend;

import java.util.Objects;

/**
 * One environment check (havirtverify, spec §8): its short name, whether it passed, what was found
 * and, for a failure, how to fix it. Immutable.
 *
 * @param name a stable short name for scripts, e.g. {@code libvirtd} or {@code rhev-ha}
 * @param detail what was found, e.g. "libvirtd at qemu:///system is reachable"
 * @param fix for a failure, what the administrator should do; empty for a pass
 * @param guestAbsent a failure that is certain the guest is not on this node: the backend asked its
 *     hypervisor during this check and it answered that no such guest exists, and nothing on this
 *     node defines one. False whenever anything was uncertain (an unreachable or slow hypervisor, a
 *     definition file that exists but cannot be used, an unknown error); a backend that cannot be
 *     that certain never sets it. Engines may report such a guest "not running" (issue 14.3).
 */
public record Check(String name, boolean passed, String detail, String fix, boolean guestAbsent) {
  public Check {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(fix, "fix");
    if (passed && guestAbsent) {
      throw new IllegalArgumentException("a passed check cannot say the guest is absent");
    }
  }

  public Check(String name, boolean passed, String detail, String fix) {
    this(name, passed, detail, fix, false);
  }

  public static Check pass(String name, String detail) {
    return new Check(name, true, detail, "");
  }

  public static Check fail(String name, String detail, String fix) {
    return new Check(name, false, detail, fix);
  }

  /** A failure that is certain the guest is not on this node (see {@link #guestAbsent}). */
  public static Check absent(String name, String detail, String fix) {
    return new Check(name, false, detail, fix, true);
  }

  /** One line for people: what is wrong, then how to fix it. */
  public String line() {
    return passed || fix.isEmpty() ? detail : detail + "; " + fix;
  }
}
