package org.havirt.types.backend;

import java.util.Objects;

/**
 * One environment check (havirtverify, spec §8): its short name, whether it passed, what was found
 * and, for a failure, how to fix it. Immutable.
 *
 * @param name a stable short name for scripts, e.g. {@code libvirtd} or {@code rhev-ha}
 * @param detail what was found, e.g. "libvirtd at qemu:///system is reachable"
 * @param fix for a failure, what the administrator should do; empty for a pass
 */
public record Check(String name, boolean passed, String detail, String fix) {
  public Check {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(fix, "fix");
  }

  public static Check pass(String name, String detail) {
    return new Check(name, true, detail, "");
  }

  public static Check fail(String name, String detail, String fix) {
    return new Check(name, false, detail, fix);
  }

  /** One line for people: what is wrong, then how to fix it. */
  public String line() {
    return passed || fix.isEmpty() ? detail : detail + "; " + fix;
  }
}
