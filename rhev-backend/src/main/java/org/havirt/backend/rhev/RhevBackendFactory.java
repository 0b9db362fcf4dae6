package org.havirt.backend.rhev;

import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;

/** Makes the RHEV backend available through {@link java.util.ServiceLoader}. */
public final class RhevBackendFactory implements VmBackendFactory {
  @Override
  public String name() {
    return "rhev";
  }

  @Override
  public boolean serves(GuestSpec guest) {
    return VmBackendFactory.isRhev(guest);
  }

  @Override
  public VmBackend create(Settings settings) {
    return new RhevBackend(settings);
  }
}
