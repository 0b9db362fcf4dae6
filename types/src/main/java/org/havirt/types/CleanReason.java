package org.havirt.types;

import java.util.Optional;

/** Why the framework calls clean; the code is the VCS script argument (VCSAgWhyClean). */
public enum CleanReason {
  OFFLINE_HUNG(0, "offline hung"),
  OFFLINE_INEFFECTIVE(1, "offline ineffective"),
  ONLINE_HUNG(2, "online hung"),
  ONLINE_INEFFECTIVE(3, "online ineffective"),
  UNEXPECTED_OFFLINE(4, "unexpected offline"),
  MONITOR_HUNG(5, "monitor hung");

  private final int code;
  private final String description;

  CleanReason(int code, String description) {
    this.code = code;
    this.description = description;
  }

  public int code() {
    return code;
  }

  public String description() {
    return description;
  }

  public static Optional<CleanReason> fromCode(int code) {
    for (CleanReason r : values()) {
      if (r.code == code) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
