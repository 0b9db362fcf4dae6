package org.havirt.types.state;

import java.util.Objects;
import java.util.Optional;

/**
 * One observation of a VM: the neutral state, the backend's own words for it and, when the backend
 * knows, the host it runs on.
 *
 * @param state the neutral state
 * @param native_ the backend's own description, e.g. {@code running (booted)} or {@code up}
 * @param host the host the VM runs on, when the backend reports one (RHEV); empty otherwise
 */
public record VmStatus(VmState state, String native_, Optional<String> host) {

  public VmStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(native_, "native_");
    Objects.requireNonNull(host, "host");
  }

  public static VmStatus of(VmState state, String nativeDescription) {
    return new VmStatus(state, nativeDescription, Optional.empty());
  }
}
