package org.havirt.nemesis;

import java.util.List;

/**
 * Which backends a {@code --backend} value runs: {@code kvm} ({@link KvmBackend}), {@code rhev}
 * ({@link RhevLane}) or {@code both}.
 */
final class Backends {
  private Backends() {}

  /** The backends {@code name} runs, with {@code nodes} nodes each; not yet started. */
  static List<Backend> forName(String name, int nodes) {
    return switch (name) {
      case "kvm" -> List.of(new KvmBackend(nodes));
      case "rhev" -> List.of(new RhevLane(nodes));
      case "both" -> List.of(new KvmBackend(nodes), new RhevLane(nodes));
      default -> throw new IllegalArgumentException("--backend must be kvm, rhev or both");
    };
  }
}
