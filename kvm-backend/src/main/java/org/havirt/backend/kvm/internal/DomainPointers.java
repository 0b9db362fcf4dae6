package org.havirt.backend.kvm.internal;

import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import java.lang.reflect.Field;
import org.libvirt.Domain;

/**
 * Reaches libvirt-java's native domain pointer. Workaround: libvirt-java 0.5.4 binds neither
 * virDomainGetState nor the *Flags variants, and keeps the pointer in the package-private field
 * {@code Domain.vdp}, so we read it by reflection to call {@link LibvirtNative}.
 */
final class DomainPointers {
  private static final Field VDP;

  static {
    try {
      VDP = Domain.class.getDeclaredField("vdp");
      VDP.setAccessible(true);
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError("libvirt-java changed: Domain.vdp is gone (" + e + ")");
    }
  }

  private DomainPointers() {}

  static Pointer of(Domain domain) {
    try {
      return ((PointerType) VDP.get(domain)).getPointer();
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read Domain.vdp", e);
    }
  }
}
