package org.havirt.types.state;

import java.util.Optional;

/** libvirt's per-state reason enums that the KVM table distinguishes, by numeric code. */
public final class LibvirtReasons {
  private LibvirtReasons() {}

  /** {@code virDomainRunningReason}. */
  public enum Running {
    UNKNOWN("unknown"),
    BOOTED("booted"),
    MIGRATED("migrated"),
    RESTORED("restored"),
    FROM_SNAPSHOT("from snapshot"),
    UNPAUSED("unpaused"),
    MIGRATION_CANCELED("migration canceled"),
    SAVE_CANCELED("save canceled"),
    WAKEUP("event wakeup"),
    CRASHED("crashed"),
    POSTCOPY("post-copy"),
    POSTCOPY_FAILED("post-copy failed");

    private final String label;

    Running(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public static Optional<Running> fromCode(int code) {
      return code >= 0 && code < values().length ? Optional.of(values()[code]) : Optional.empty();
    }
  }

  /** {@code virDomainPausedReason}. */
  public enum Paused {
    UNKNOWN("unknown"),
    USER("user"),
    MIGRATION("migrating"),
    SAVE("saving"),
    DUMP("dumping"),
    IOERROR("I/O error"),
    WATCHDOG("watchdog"),
    FROM_SNAPSHOT("from snapshot"),
    SHUTTING_DOWN("shutting down"),
    SNAPSHOT("creating snapshot"),
    CRASHED("crashed"),
    STARTING_UP("starting up"),
    POSTCOPY("post-copy"),
    POSTCOPY_FAILED("post-copy failed"),
    API_ERROR("api error");

    private final String label;

    Paused(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public static Optional<Paused> fromCode(int code) {
      return code >= 0 && code < values().length ? Optional.of(values()[code]) : Optional.empty();
    }
  }

  /** {@code virDomainShutoffReason}. */
  public enum Shutoff {
    UNKNOWN("unknown"),
    SHUTDOWN("shutdown"),
    DESTROYED("destroyed"),
    CRASHED("crashed"),
    MIGRATED("migrated"),
    SAVED("saved"),
    FAILED("failed"),
    FROM_SNAPSHOT("from snapshot"),
    DAEMON("daemon");

    private final String label;

    Shutoff(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    public static Optional<Shutoff> fromCode(int code) {
      return code >= 0 && code < values().length ? Optional.of(values()[code]) : Optional.empty();
    }
  }
}
