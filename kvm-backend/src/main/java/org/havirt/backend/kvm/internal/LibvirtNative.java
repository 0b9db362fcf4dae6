package org.havirt.backend.kvm.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * libvirt calls that libvirt-java 0.5.4 does not bind. The domain pointer is libvirt-java's own
 * (see {@link DomainPointers}); both bindings load the same {@code libvirt.so.0}.
 */
interface LibvirtNative extends Library {
  LibvirtNative INSTANCE = Native.load("virt", LibvirtNative.class);

  /** {@code virDomainGetState}: state and reason; libvirt-java only has getInfo (no reason). */
  int virDomainGetState(Pointer domain, IntByReference state, IntByReference reason, int flags);

  /**
   * {@code virDomainShutdownFlags}: flags choose ACPI, guest agent, … (0 = hypervisor's choice).
   */
  int virDomainShutdownFlags(Pointer domain, int flags);

  /** {@code virDomainDestroyFlags}: 0 = SIGTERM then SIGKILL; 1 (GRACEFUL) = SIGTERM only. */
  int virDomainDestroyFlags(Pointer domain, int flags);

  /** {@code virGetLastError}: this thread's last error (a virErrorPtr), or null. */
  Pointer virGetLastError();
}
