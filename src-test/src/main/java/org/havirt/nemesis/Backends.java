package org.havirt.nemesis;

import java.util.List;

/**
 * Which backends a {@code --backend} value runs. The RHEV side adds its backend here: {@code rhev}
 * and {@code both} say "not yet" until it lands.
 */
final class Backends {
  private Backends() {}

  /** Thrown for a backend that is not there yet. */
  static final class NotYet extends Exception {
    private static final long serialVersionUID = 1L;

    NotYet(String what) {
      super(what);
    }
  }

  static List<Backend> forName(String name, int nodes) throws NotYet {
    return switch (name) {
      case "kvm" -> List.of(new KvmBackend(nodes));
      case "rhev", "both" ->
          throw new NotYet("--backend " + name + ": not yet (the RHEV side plugs in here)");
      default -> throw new IllegalArgumentException("--backend must be kvm, rhev or both");
    };
  }
}
