package org.havirt.types.state;

import java.util.Locale;
import java.util.Optional;

/** The VM status values of the oVirt/RHEV REST API v4 ({@code VmStatus}), by their wire name. */
public enum RhevVmStatus {
  DOWN,
  IMAGE_LOCKED,
  MIGRATING,
  NOT_RESPONDING,
  PAUSED,
  POWERING_DOWN,
  POWERING_UP,
  REBOOT_IN_PROGRESS,
  RESTORING_STATE,
  SAVING_STATE,
  SUSPENDED,
  UNASSIGNED,
  UNKNOWN,
  UP,
  WAIT_FOR_LAUNCH;

  /** Returns the wire name, e.g. {@code wait_for_launch}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a wire name leniently (case and surrounding blanks ignored); empty if unrecognised. */
  public static Optional<RhevVmStatus> fromWire(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String key = value.trim().toUpperCase(Locale.ROOT);
    for (RhevVmStatus s : values()) {
      if (s.name().equals(key)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
