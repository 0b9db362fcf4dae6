package org.havirt.types;

import java.util.Locale;
import java.util.Optional;

/** The VCS agent entry points havirt implements, with the type attribute bounding each. */
public enum EntryPoint {
  OPEN("OpenTimeout"),
  CLOSE("CloseTimeout"),
  ONLINE("OnlineTimeout"),
  OFFLINE("OfflineTimeout"),
  MONITOR("MonitorTimeout"),
  CLEAN("CleanTimeout"),
  MIGRATE("MigrateTimeout"),
  ACTION("ActionTimeout"),
  ATTR_CHANGED("AttrChangedTimeout");

  private final String timeoutAttribute;

  EntryPoint(String timeoutAttribute) {
    this.timeoutAttribute = timeoutAttribute;
  }

  /** Returns the framework attribute holding this entry point's timeout, e.g. OnlineTimeout. */
  public String timeoutAttribute() {
    return timeoutAttribute;
  }

  /** Returns the VCS script name, e.g. {@code attr_changed}. */
  public String scriptName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a VCS script name ({@code online}, {@code attr_changed}, …), case-insensitively. */
  public static Optional<EntryPoint> fromScriptName(String name) {
    for (EntryPoint ep : values()) {
      if (ep.scriptName().equalsIgnoreCase(name)) {
        return Optional.of(ep);
      }
    }
    return Optional.empty();
  }
}
