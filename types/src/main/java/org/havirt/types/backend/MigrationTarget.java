package org.havirt.types.backend;

import java.util.Objects;

/**
 * Where a migration goes.
 *
 * @param system the cluster system name of the target
 * @param hypervisor the target's hypervisor host: its PhysicalServer attribute, else its name
 */
public record MigrationTarget(String system, String hypervisor) {
  public MigrationTarget {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(hypervisor, "hypervisor");
  }
}
