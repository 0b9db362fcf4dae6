package org.havirt.types.state;

import java.util.Optional;

/** libvirt's {@code virDomainState}, by numeric code. */
public enum LibvirtDomainState {
  NOSTATE(0, "no state"),
  RUNNING(1, "running"),
  BLOCKED(2, "blocked"),
  PAUSED(3, "paused"),
  SHUTDOWN(4, "in shutdown"),
  SHUTOFF(5, "shut off"),
  CRASHED(6, "crashed"),
  PMSUSPENDED(7, "pmsuspended");

  private final int code;
  private final String label;

  LibvirtDomainState(int code, String label) {
    this.code = code;
    this.label = label;
  }

  public int code() {
    return code;
  }

  /** Returns the words virsh uses, e.g. {@code shut off}. */
  public String label() {
    return label;
  }

  public static Optional<LibvirtDomainState> fromCode(int code) {
    for (LibvirtDomainState s : values()) {
      if (s.code == code) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
