package org.havirt.backend.kvm.internal;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import org.havirt.types.backend.BackendException;
import org.libvirt.Domain;

/** The calls of {@link LibvirtNative}, with libvirt's error turned into a BackendException. */
public final class NativeCalls {
  /** libvirt's VIR_ERR_NO_DOMAIN. */
  private static final int VIR_ERR_NO_DOMAIN = 42;

  private NativeCalls() {}

  /** Returns {state, reason} of {@code domain}. */
  public static int[] state(Domain domain) throws BackendException {
    IntByReference state = new IntByReference();
    IntByReference reason = new IntByReference();
    if (LibvirtNative.INSTANCE.virDomainGetState(DomainPointers.of(domain), state, reason, 0) < 0) {
      throw lastError("get state");
    }
    return new int[] {state.getValue(), reason.getValue()};
  }

  /** Asks the guest to shut down (ACPI or guest agent, as the hypervisor chooses). */
  public static void shutdown(Domain domain) throws BackendException {
    if (LibvirtNative.INSTANCE.virDomainShutdownFlags(DomainPointers.of(domain), 0) < 0) {
      throw lastError("shutdown");
    }
  }

  /** Powers the guest off: SIGTERM, then SIGKILL if qemu does not exit. */
  public static void destroy(Domain domain) throws BackendException {
    if (LibvirtNative.INSTANCE.virDomainDestroyFlags(DomainPointers.of(domain), 0) < 0) {
      throw lastError("destroy");
    }
  }

  /**
   * Reads this thread's last libvirt error: virError is {int code; int domain; char *message; …}.
   */
  private static BackendException lastError(String what) {
    Pointer err = LibvirtNative.INSTANCE.virGetLastError();
    if (err == null) {
      return new BackendException(
          BackendException.Kind.FAILED, what + " failed (libvirt gave no reason)");
    }
    int code = err.getInt(0);
    Pointer msg = err.getPointer(8);
    String text = msg == null ? "code " + code : msg.getString(0);
    return new BackendException(Errors.kindOf(code), what + " failed: " + text);
  }

  /** Returns whether libvirt's error code says "no such domain". */
  static boolean isNoDomain(int code) {
    return code == VIR_ERR_NO_DOMAIN;
  }
}
