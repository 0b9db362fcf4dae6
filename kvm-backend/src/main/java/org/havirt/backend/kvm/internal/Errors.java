package org.havirt.backend.kvm.internal;

import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;

/** Turns libvirt's errors into {@link BackendException}s whose kind tells the agent what to do. */
public final class Errors {
  private Errors() {}

  /** Converts a libvirt-java exception; {@code what} names the operation for the message. */
  public static BackendException convert(String what, LibvirtException e) {
    ErrorNumber code = e.getError() == null ? null : e.getError().getCode();
    String message = e.getError() == null ? e.getMessage() : e.getError().getMessage();
    return new BackendException(kindOf(code), what + " failed: " + message, e);
  }

  /** Returns the kind for libvirt's numeric error code (virErrorNumber); ordinals match codes. */
  static Kind kindOf(int code) {
    ErrorNumber[] all = ErrorNumber.values();
    return kindOf(code >= 0 && code < all.length ? all[code] : null);
  }

  static Kind kindOf(ErrorNumber code) {
    if (code == null) {
      return Kind.FAILED;
    }
    return switch (code) {
      case VIR_ERR_NO_DOMAIN -> Kind.NOT_FOUND;
        // Connection trouble: libvirtd down, restarting, or a broken socket. Try later.
      case VIR_ERR_NO_CONNECT,
              VIR_ERR_INVALID_CONN,
              VIR_ERR_RPC,
              VIR_ERR_SYSTEM_ERROR,
              VIR_ERR_OPERATION_TIMEOUT,
              VIR_ERR_AGENT_UNRESPONSIVE,
              VIR_ERR_INTERNAL_ERROR ->
          Kind.TRANSIENT;
      case VIR_ERR_AUTH_FAILED,
              VIR_ERR_AUTH_CANCELLED,
              VIR_ERR_OPERATION_DENIED,
              VIR_ERR_ACCESS_DENIED ->
          Kind.PERMISSION;
      case VIR_ERR_XML_ERROR,
              VIR_ERR_XML_DETAIL,
              VIR_ERR_INVALID_ARG,
              VIR_ERR_CONFIG_UNSUPPORTED,
              VIR_ERR_MIGRATE_UNSAFE ->
          Kind.MISCONFIGURED;
      case VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_UNSUPPORTED -> Kind.UNSUPPORTED;
      default -> Kind.FAILED;
    };
  }
}
