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
  private final org.havirt.types.backend.VmEventListener events;

  public Backends(VmBackendFactory.Settings settings) {
    this(settings, load());
  }

  public Backends(VmBackendFactory.Settings settings, List<VmBackendFactory> factories) {
    this(settings, factories, null);
  }

  /** As above; {@code events} hears every backend's change hints from the moment it is created. */
  public Backends(
      VmBackendFactory.Settings settings,
      List<VmBackendFactory> factories,
      org.havirt.types.backend.VmEventListener events) {
    this.settings = settings;
    this.factories = List.copyOf(factories);
    this.events = events;
  }

  /** A node's backends found with ServiceLoader, whose hints go to {@code events}. */
  public static Backends discover(
      VmBackendFactory.Settings settings, org.havirt.types.backend.VmEventListener events) {
    return new Backends(settings, load(), events);
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
        return Optional.of(
            created.computeIfAbsent(
                f.name(),
                n -> {
                  VmBackend b = f.create(settings);
                  if (events != null) {
                    b.subscribe(events);
                  }
                  return b;
                }));
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
