package org.havirt.agent.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;

/**
 * The backends on the class path, found with {@link ServiceLoader}, each created once on first use
 * with this node's settings. Thread-safe.
 */
public final class Backends implements AutoCloseable {
  private final List<VmBackendFactory> factories;
  private final VmBackendFactory.Settings settings;
  private final Map<String, VmBackend> created = new ConcurrentHashMap<>();

  public Backends(VmBackendFactory.Settings settings) {
    this(settings, load());
  }

  public Backends(VmBackendFactory.Settings settings, List<VmBackendFactory> factories) {
    this.settings = settings;
    this.factories = List.copyOf(factories);
  }

  private static List<VmBackendFactory> load() {
    List<VmBackendFactory> out = new ArrayList<>();
    ServiceLoader.load(VmBackendFactory.class).forEach(out::add);
    return out;
  }

  /** Returns the backend that runs {@code guest}, or empty if none on the class path serves it. */
  public Optional<VmBackend> forGuest(GuestSpec guest) {
    for (VmBackendFactory f : factories) {
      if (f.serves(guest)) {
        return Optional.of(created.computeIfAbsent(f.name(), n -> f.create(settings)));
      }
    }
    return Optional.empty();
  }

  /** Returns the names of the backends available. */
  public List<String> names() {
    return factories.stream().map(VmBackendFactory::name).toList();
  }

  @Override
  public void close() {
    created.values().forEach(VmBackend::close);
    created.clear();
  }
}
