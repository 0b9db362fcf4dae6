package org.havirt.types.backend;

import java.util.Objects;

/**
 * A backend call failed. The {@link Kind} tells the agent what it may do next; the message is
 * short, plain and never contains a secret.
 */
public final class BackendException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a call failed, and therefore what the caller may do next. */
  public enum Kind {
    /** The VM does not exist in the backend (libvirt VIR_ERR_NO_DOMAIN, REST 404). */
    NOT_FOUND,
    /** Lost connection, daemon restarting, manager busy: try again later; state is UNKNOWN. */
    TRANSIENT,
    /** The call did not return before its deadline; state is UNKNOWN. */
    TIMED_OUT,
    /** The resource's attributes are wrong (bad XML, bad URL): retrying will not help. */
    MISCONFIGURED,
    /** Something this node needs is missing (libvirt library, qemu binary). */
    NOT_INSTALLED,
    /** Credentials or access control refused the call. */
    PERMISSION,
    /** The backend does not implement the operation. */
    UNSUPPORTED,
    /** The backend ran the operation and it failed (e.g. qemu refused to start). */
    FAILED
  }

  private final Kind kind;

  public BackendException(Kind kind, String message) {
    super(message);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public BackendException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }

  /** Returns whether the same call may succeed later without anyone changing anything. */
  public boolean isRetryable() {
    return kind == Kind.TRANSIENT || kind == Kind.TIMED_OUT;
  }

  public static BackendException unsupported(String operation) {
    return new BackendException(Kind.UNSUPPORTED, operation + " is not supported by this backend");
  }
}
