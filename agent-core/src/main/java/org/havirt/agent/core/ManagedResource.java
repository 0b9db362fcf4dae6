package org.havirt.agent.core;

import java.time.Clock;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.ExecStatus;
import org.havirt.types.backend.GuestSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor of one resource: it feeds every event to the pure {@link ResourceRules} and carries
 * out the effects they return (run an entry point, arm a timer, answer a caller, publish), the way
 * Pacemaker's executor runs what its scheduler decided. Lives on the {@link AgentLoop} thread only.
 */
final class ManagedResource {
  private static final Logger log = LoggerFactory.getLogger(ManagedResource.class);

  final String name;
  final String type;
  private final ResourceModel model;
  private final AgentLoop loop;
  private final EntryRunner runner;
  private final Clock wall;
  private final Agent agent;
  private final Map<Long, CompletableFuture<CommandReply>> callers = new HashMap<>();
  private final Map<TimerKind, AgentLoop.Timer> timers = new EnumMap<>(TimerKind.class);
  private long nextCaller = 1;
  private boolean forgotten;

  /** The agent-wide seq of this resource's last published change (set by the agent). */
  long seq;

  ManagedResource(
      String name,
      String type,
      GuestSpec spec,
      AgentLoop loop,
      EntryRunner runner,
      Clock wall,
      Agent agent) {
    this.name = name;
    this.type = type;
    this.model = new ResourceModel(name, type, spec);
    this.loop = loop;
    this.runner = runner;
    this.wall = wall;
    this.agent = agent;
  }

  GuestSpec spec() {
    return model.spec;
  }

  /** Starts managing: open, then probe. */
  void open() {
    apply(new Event.Open());
  }

  /** Applies new attribute values; RegList changes run attr_changed, then a monitor. */
  void modify(GuestSpec newSpec) {
    apply(new Event.Modify(newSpec));
  }

  /** Stops managing after the running entry point: close, then forget. Never touches the VM. */
  CompletableFuture<CommandReply> delete() {
    CompletableFuture<CommandReply> done = new CompletableFuture<>();
    if (forgotten) {
      done.completeExceptionally(gone()); // deleted between the agent's lookup and now
      return done;
    }
    apply(new Event.Delete(waiter(done)));
    return done;
  }

  /**
   * An engine command. The future completes when the entry point and its follow-up monitor are
   * done, or exceptionally with a {@link CommandException} when it is refused.
   */
  CompletableFuture<CommandReply> command(Invocation inv) {
    CompletableFuture<CommandReply> reply = new CompletableFuture<>();
    if (forgotten) {
      reply.completeExceptionally(gone()); // deleted between the agent's lookup and now
      return reply;
    }
    apply(new Event.Command(inv, waiter(reply)));
    return reply;
  }

  private CommandException gone() {
    return new CommandException("no_such_resource", "resource " + name + " was deleted");
  }

  /** Clears FAULTED or ADMIN_WAIT. */
  ResourceStatus clear() {
    apply(new Event.Clear());
    return status();
  }

  /**
   * A backend hint that the VM may have changed: monitor now (or after the running entry point).
   */
  void requestMonitor() {
    apply(new Event.Hint());
  }

  ResourceStatus status() {
    return model.status(seq);
  }

  private long waiter(CompletableFuture<CommandReply> f) {
    long id = nextCaller++;
    callers.put(id, f);
    return id;
  }

  private void apply(Event e) {
    if (forgotten) {
      return; // a late result or timer of a deleted resource
    }
    List<Effect> effects = ResourceRules.apply(model, e, loop.ticker().nanoTime(), wall.instant());
    for (Effect effect : effects) {
      carryOut(effect);
    }
  }

  private void carryOut(Effect effect) {
    if (effect instanceof Effect.Run run) {
      runEntryPoint(run);
    } else if (effect instanceof Effect.Arm arm) {
      cancel(arm.kind());
      timers.put(
          arm.kind(),
          loop.schedule(
              arm.after(),
              () -> {
                timers.remove(arm.kind());
                apply(new Event.TimerFired(arm.kind(), arm.token()));
              }));
    } else if (effect instanceof Effect.Disarm d) {
      cancel(d.kind());
    } else if (effect instanceof Effect.Answer a) {
      if (!forgotten) {
        agent.changed(this); // a reply reports the state, numbered, that subscribers see
      }
      CompletableFuture<CommandReply> f = callers.remove(a.caller());
      if (f != null) {
        f.complete(new CommandReply(a.exec(), a.reason(), status(), a.output(), a.guestAbsent()));
      }
    } else if (effect instanceof Effect.Refuse r) {
      CompletableFuture<CommandReply> f = callers.remove(r.caller());
      if (f != null) {
        f.completeExceptionally(new CommandException(r.code(), r.message()));
      }
    } else if (effect instanceof Effect.Publish) {
      if (!forgotten) {
        agent.changed(this);
      }
    } else if (effect instanceof Effect.Forget) {
      forgotten = true;
      timers.values().forEach(AgentLoop.Timer::cancel);
      timers.clear();
      agent.forget(this);
    } else if (effect instanceof Effect.Log l) {
      if (l.warn()) {
        log.warn("{}", l.message());
      } else {
        log.info("{}", l.message());
      }
    }
  }

  private void runEntryPoint(Effect.Run run) {
    long id = run.run();
    CompletableFuture<EntryResult> result;
    try {
      result =
          runner.run(
              run.spec(), run.invocation(), () -> loop.post(() -> apply(new Event.Started(id))));
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e);
    }
    result.whenComplete(
        (r, err) ->
            loop.post(
                () ->
                    apply(
                        new Event.Finished(
                            id,
                            r != null
                                ? r
                                : new EntryResult(
                                    run.invocation().entryPoint(),
                                    ExecStatus.FAILED,
                                    Optional.empty(),
                                    0,
                                    "internal error: " + err,
                                    "")))));
  }

  private void cancel(TimerKind kind) {
    AgentLoop.Timer t = timers.remove(kind);
    if (t != null) {
      t.cancel();
    }
  }
}
