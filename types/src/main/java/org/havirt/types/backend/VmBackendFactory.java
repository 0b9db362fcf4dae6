package org.havirt.types.backend;

import java.util.Map;
import java.util.Optional;

/**
 * Creates a backend; found with {@link java.util.ServiceLoader}, so the agent needs no compile-time
 * dependency on any backend. Implementations must be stateless and thread-safe.
 */
public interface VmBackendFactory {

  /** Returns the backend's name: {@code kvm} or {@code rhev}. */
  String name();

  /** Returns whether this backend runs {@code guest} (RHEVMInfo.Enabled selects RHEV). */
  boolean serves(GuestSpec guest);

  /**
   * Creates a backend for this node.
   *
   * @param settings node settings, e.g. {@code libvirt.uri}; unknown keys are ignored
   */
  VmBackend create(Settings settings);

  /** Node-level settings (not per resource): URIs, directories, templates. Immutable. */
  record Settings(Map<String, String> values) {
    public Settings {
      values = Map.copyOf(values);
    }

    public Optional<String> get(String key) {
      return Optional.ofNullable(values.get(key)).filter(v -> !v.isBlank());
    }
  }

  /** Returns whether {@code guest} has RHEVMInfo.Enabled = 1. */
  static boolean isRhev(GuestSpec guest) {
    return guest
        .associationKey("RHEVMInfo", "Enabled")
        .map(v -> v.trim().equals("1"))
        .orElse(false);
  }
}
