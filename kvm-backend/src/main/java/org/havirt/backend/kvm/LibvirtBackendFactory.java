package org.havirt.backend.kvm;

import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;

/** Makes the KVM backend available to the agent through {@link java.util.ServiceLoader}. */
public final class LibvirtBackendFactory implements VmBackendFactory {
  @Override
  public String name() {
    return "kvm";
  }

  @Override
  public boolean serves(GuestSpec guest) {
    return !VmBackendFactory.isRhev(guest);
  }

  @Override
  public VmBackend create(Settings settings) {
    return new LibvirtBackend(KvmSettings.from(settings), Ticker.SYSTEM);
  }
}
