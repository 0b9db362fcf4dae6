package org.havirt.agent.core;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.havirt.types.backend.GuestSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent: the resources this node manages and the commands an engine gives them. Every public
 * method is thread-safe: it hands the work to the {@link AgentLoop} and returns a future.
 * Subscribers hear every change of state, confidence, reason or framework flag, in order, each with
 * an agent-wide sequence number; they are called on the loop and must not block.
 */
public final class Agent {
  private static final Logger log = LoggerFactory.getLogger(Agent.class);

  private final AgentLoop loop;
  private final EntryRunner runner;
  private final Clock wall;
  private final Map<String, ManagedResource> resources = new LinkedHashMap<>();
  private final Map<String, ResourceStatus> published = new HashMap<>();
  private final List<Consumer<ResourceStatus>> subscribers = new CopyOnWriteArrayList<>();
  private long seq;

  public Agent(AgentLoop loop, EntryRunner runner, Clock wall) {
    this.loop = loop;
    this.runner = runner;
    this.wall = wall;
  }

  private <T> CompletableFuture<T> onLoop(Supplier<T> work) {
    CompletableFuture<T> f = new CompletableFuture<>();
    loop.post(
        () -> {
          try {
            f.complete(work.get());
          } catch (RuntimeException e) {
            f.completeExceptionally(e);
          }
        });
    return f;
  }

  private ManagedResource get(String name) {
    ManagedResource r = resources.get(name);
    if (r == null) {
      throw new CommandException("no_such_resource", "no resource named '" + name + "'");
    }
    return r;
  }

  /** Starts managing a resource: open, then a probe. Changes no VM. */
  public CompletableFuture<ResourceStatus> add(String name, String type, GuestSpec spec) {
    return onLoop(
        () -> {
          if (resources.containsKey(name)) {
            throw new CommandException("exists", "resource '" + name + "' already exists");
          }
          ManagedResource r = new ManagedResource(name, type, spec, loop, runner, wall, this);
          resources.put(name, r);
          log.info("resource added resource={} type={} guest={}", name, type, spec.guestName());
          r.open();
          return r.status();
        });
  }

  /** Replaces a resource's attribute values (attr_changed runs, then a monitor). */
  public CompletableFuture<ResourceStatus> modify(String name, GuestSpec spec) {
    return modifyWith(name, (type, old) -> spec);
  }

  /**
   * Changes a resource's attribute values: {@code change} gets its type and current values and
   * returns the new ones. It runs on the loop; an IllegalArgumentException refuses the change.
   */
  public CompletableFuture<ResourceStatus> modifyWith(
      String name, java.util.function.BiFunction<String, GuestSpec, GuestSpec> change) {
    return onLoop(
        () -> {
          ManagedResource r = get(name);
          r.modify(change.apply(r.type, r.spec()));
          return r.status();
        });
  }

  /** Stops managing a resource (close runs); its VM is left as it is. */
  public CompletableFuture<String> delete(String name) {
    return onLoop(() -> get(name).delete()).thenCompose(f -> f).thenApply(r -> name);
  }

  /** Runs an engine command; the future completes when the command has settled. */
  public CompletableFuture<CommandReply> command(String name, Invocation inv) {
    return onLoop(() -> get(name))
        .thenCompose(
            r -> {
              CompletableFuture<CompletableFuture<CommandReply>> started =
                  onLoop(() -> r.command(inv));
              return started.thenCompose(f -> f);
            });
  }

  /** Clears FAULTED or ADMIN_WAIT. */
  public CompletableFuture<ResourceStatus> clear(String name) {
    return onLoop(() -> get(name).clear());
  }

  /** Returns the status of every resource, or of one. */
  public CompletableFuture<List<ResourceStatus>> status(Optional<String> name) {
    return onLoop(
        () -> {
          List<ResourceStatus> out = new ArrayList<>();
          if (name.isPresent()) {
            out.add(get(name.get()).status());
          } else {
            resources.values().forEach(r -> out.add(r.status()));
          }
          return out;
        });
  }

  /**
   * A backend's hint that {@code guestName} may have changed, or anything if it is null: the
   * resources concerned are monitored at once. Safe from any thread, never blocks.
   */
  public void hint(String guestName) {
    loop.post(
        () -> {
          for (ManagedResource r : resources.values()) {
            if (guestName == null || guestName.equals(r.spec().guestName())) {
              r.requestMonitor();
            }
          }
        });
  }

  /** Registers a listener for changes; it runs on the loop and must return at once. */
  public AutoCloseable subscribe(Consumer<ResourceStatus> listener) {
    subscribers.add(listener);
    return () -> subscribers.remove(listener);
  }

  /**
   * Called by a resource after anything happened: publishes it if the engine-visible part changed.
   */
  void changed(ManagedResource r) {
    ResourceStatus now = r.status();
    ResourceStatus last = published.get(r.name);
    if (last != null
        && last.state() == now.state()
        && last.confidence() == now.confidence()
        && Objects.equals(last.reason(), now.reason())
        && last.flag().equals(now.flag())
        && last.guestActive() == now.guestActive()) {
      return;
    }
    ResourceStatus numbered =
        new ResourceStatus(
            now.name(),
            now.type(),
            now.state(),
            now.confidence(),
            now.reason(),
            now.flag(),
            now.expected(),
            now.busy(),
            now.lastMonitor(),
            now.guestActive(),
            ++seq);
    published.put(r.name, numbered);
    r.seq = numbered.seq();
    log.info(
        "resource state resource={} state={} confidence={} reason={}",
        r.name,
        now.state().displayName(),
        now.confidence(),
        now.reason());
    for (Consumer<ResourceStatus> s : subscribers) {
      try {
        s.accept(numbered);
      } catch (RuntimeException e) {
        log.warn("subscriber failed err={}", e.toString());
      }
    }
  }

  void forget(ManagedResource r) {
    resources.remove(r.name);
    published.remove(r.name);
    log.info("resource deleted resource={}", r.name);
  }

  /** Returns the names of the managed resources (loop thread only). */
  List<String> names() {
    return List.copyOf(resources.keySet());
  }
}
