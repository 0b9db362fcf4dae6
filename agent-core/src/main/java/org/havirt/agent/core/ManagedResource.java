package org.havirt.agent.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.backend.GuestSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One resource under the agent framework's rules (spec §5): one entry point at a time, periodic and
 * event-triggered monitors, online/offline wait limits, tolerance, restarts, monitor timeouts,
 * clean retries. Lives on the {@link AgentLoop} thread only.
 *
 * <p>The one rule above all: UNKNOWN never triggers clean, restart or fault.
 */
final class ManagedResource {
  private static final Logger log = LoggerFactory.getLogger(ManagedResource.class);

  /** What the engine expects of the resource. */
  enum Expect {
    NONE,
    ONLINE,
    OFFLINE
  }

  /** What the framework is in the middle of. */
  private enum Phase {
    IDLE,
    ONLINE_WAIT,
    OFFLINE_WAIT
  }

  /** A command waiting for its turn, with the future its caller waits on. */
  private record Pending(
      Invocation invocation, CompletableFuture<CommandReply> reply, boolean fromEngine) {}

  final String name;
  final String type;
  private GuestSpec spec;
  private FrameworkParams params;
  private final AgentLoop loop;
  private final EntryRunner runner;
  private final Clock wall;
  private final Agent agent;

  private ResourceState state = ResourceState.UNKNOWN;
  private int confidence;
  private String reason = "not probed yet";
  private Optional<FrameworkState> flag = Optional.empty();
  private Expect expected = Expect.NONE;
  private Phase phase = Phase.IDLE;
  private Optional<Instant> lastMonitor = Optional.empty();

  private Invocation running;
  private AgentLoop.Timer runningTimeout;
  private final Deque<Pending> queue = new ArrayDeque<>();
  private boolean monitorWanted;
  private AgentLoop.Timer monitorTimer;

  /** Callers waiting for an answer: after the entry point, after its monitor, or once settled. */
  private final Callers callers = new Callers();

  private boolean deleted;

  /** The first failed validation check while the environment is invalid (spec §8). */
  private Optional<String> invalid = Optional.empty();

  /** The agent-wide seq of this resource's last published change (set by the agent). */
  long seq;

  /** VCS's Enabled: a disabled resource is closed and neither monitored nor acted on. */
  private boolean enabled;

  private int waitMonitors;
  private int tolerance;
  private int restarts;
  private int onlineRetries;
  private int monitorTimeouts;
  private int cleanFailures;
  private long onlineSince;

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
    this.spec = spec;
    this.params = FrameworkParams.of(spec);
    this.loop = loop;
    this.runner = runner;
    this.wall = wall;
    this.agent = agent;
  }

  GuestSpec spec() {
    return spec;
  }

  /** Starts managing: open, then probe. */
  void open() {
    enabled = spec.bool("Enabled", true);
    if (!enabled) {
      reason = "not monitored: Enabled = 0";
      publish();
      return;
    }
    submit(Invocation.of(EntryPoint.OPEN), null, false);
    requestMonitor();
  }

  /** Applies new attribute values; RegList changes run attr_changed, then a monitor. */
  void modify(GuestSpec newSpec) {
    GuestSpec old = spec;
    this.spec = newSpec;
    this.params = FrameworkParams.of(newSpec);
    boolean nowEnabled = newSpec.bool("Enabled", true);
    if (nowEnabled != enabled) {
      enabled = nowEnabled;
      if (!enabled) {
        // Disabled: close, stop monitoring, leave the VM exactly as it is.
        cancelMonitorTimer();
        monitorWanted = false;
        submit(Invocation.of(EntryPoint.CLOSE), null, false);
        state = ResourceState.UNKNOWN;
        confidence = 0;
        reason = "not monitored: Enabled = 0";
        publish();
      } else {
        submit(Invocation.of(EntryPoint.OPEN), null, false);
        requestMonitor();
      }
      return;
    }
    if (!enabled) {
      return;
    }
    // VCS calls attr_changed only for the attributes the type registers in RegList.
    java.util.List<String> regList =
        newSpec.attributes().get("RegList")
                instanceof org.havirt.types.backend.AttributeValue.Vector v
            ? v.items()
            : java.util.List.of();
    boolean registered =
        regList.stream()
            .anyMatch(
                a ->
                    !java.util.Objects.equals(
                        old.attributes().get(a), newSpec.attributes().get(a)));
    if (registered) {
      submit(Invocation.of(EntryPoint.ATTR_CHANGED), null, false);
    }
    requestMonitor();
  }

  /** Stops managing after the running entry point: close, then forget. Never touches the VM. */
  CompletableFuture<CommandReply> delete() {
    deleted = true;
    cancelMonitorTimer();
    queue.forEach(
        p ->
            p.reply()
                .completeExceptionally(
                    new CommandException("deleted", "resource " + name + " was deleted")));
    queue.clear();
    CompletableFuture<CommandReply> done = new CompletableFuture<>();
    submit(Invocation.of(EntryPoint.CLOSE), done, false);
    return done;
  }

  /**
   * An engine command. The future completes when the entry point and its follow-up monitor are
   * done.
   */
  CompletableFuture<CommandReply> command(Invocation inv) {
    CompletableFuture<CommandReply> reply = new CompletableFuture<>();
    if (deleted) {
      reply.completeExceptionally(
          new CommandException("no_such_resource", "resource " + name + " was deleted"));
      return reply;
    }
    if (!enabled) {
      reply.completeExceptionally(
          new CommandException("disabled", "resource " + name + " is disabled (Enabled = 0)"));
      return reply;
    }
    EntryPoint ep = inv.entryPoint();
    if (ep == EntryPoint.ONLINE && flag.isPresent()) {
      reply.completeExceptionally(
          new CommandException(
              "faulted",
              "resource "
                  + name
                  + " is "
                  + flag.get()
                  + "; clear it first (havirt clear "
                  + name
                  + ")"));
      return reply;
    }
    if (invalid.isPresent() && acts(ep)) {
      reply.completeExceptionally(refusal());
      return reply;
    }
    if (ep == EntryPoint.MONITOR && invalid.isPresent()) {
      submit(Invocation.of(EntryPoint.OPEN), null, false); // a probe re-validates first
    }
    submit(inv, reply, true);
    return reply;
  }

  /** Whether a clean finishes an offline the engine asked for (reasons 0 and 1). */
  private static boolean stopping(Invocation inv) {
    return inv.cleanReason()
        .filter(r -> r == CleanReason.OFFLINE_HUNG || r == CleanReason.OFFLINE_INEFFECTIVE)
        .isPresent();
  }

  /** Clears FAULTED or ADMIN_WAIT. */
  ResourceStatus clear() {
    flag = Optional.empty();
    cleanFailures = 0;
    if (expected == Expect.ONLINE && state != ResourceState.ONLINE) {
      expected = Expect.NONE;
    }
    publish();
    return status();
  }

  /**
   * A backend hint that the VM may have changed: monitor now (or right after the running entry
   * point).
   */
  void requestMonitor() {
    if (!enabled) {
      return;
    }
    monitorWanted = true;
    pump();
  }

  private void submit(Invocation inv, CompletableFuture<CommandReply> reply, boolean fromEngine) {
    queue.add(new Pending(inv, reply, fromEngine));
    pump();
  }

  /**
   * Starts the next entry point if none is running: queued commands first, then a wanted monitor.
   */
  private void pump() {
    if (running != null) {
      return;
    }
    Pending next = queue.poll();
    if (next != null) {
      start(next.invocation(), next.reply(), next.fromEngine());
      return;
    }
    if (monitorWanted && !deleted) {
      monitorWanted = false;
      // While the environment is invalid, a monitor round re-runs the validation first; the
      // monitor follows once it passes.
      start(Invocation.of(invalid.isPresent() ? EntryPoint.OPEN : EntryPoint.MONITOR), null, false);
    }
  }

  private void start(Invocation inv, CompletableFuture<CommandReply> reply, boolean fromEngine) {
    if (invalid.isPresent() && acts(inv.entryPoint())) {
      // Queued before the validation failed: never act on an environment known to be broken.
      if (reply != null) {
        reply.completeExceptionally(refusal());
      }
      pump();
      return;
    }
    // The engine's expectation changes when its entry point starts, not when it is queued: a
    // monitor still running from before must not be judged against an expectation it predates.
    EntryPoint kind = inv.entryPoint();
    if (kind == EntryPoint.ONLINE) {
      expected = Expect.ONLINE;
      if (fromEngine) {
        onlineRetries = 0;
        restarts = 0;
      }
    } else if (fromEngine && (kind == EntryPoint.OFFLINE || kind == EntryPoint.MIGRATE)) {
      expected = Expect.OFFLINE;
    } else if (fromEngine && kind == EntryPoint.CLEAN && stopping(inv)) {
      // A forced stop (the engine's offline hung or did not work, e.g. Pacemaker's stop with
      // force_stop): the guest going away is what the engine asked for, not a fault.
      expected = Expect.OFFLINE;
    }
    cancelMonitorTimer();
    running = inv;
    if (reply != null) {
      callers.add(inv, reply);
    }
    EntryPoint ep = inv.entryPoint();
    publish();
    Duration timeout = FrameworkParams.timeout(spec, ep);
    // The backend answers by the same deadline; this timer is the framework's own guarantee.
    runningTimeout =
        loop.schedule(
            timeout.plusSeconds(1),
            () -> {
              if (running == inv) {
                finished(
                    inv,
                    new EntryResult(
                        ep,
                        ExecStatus.TIMED_OUT,
                        Optional.empty(),
                        0,
                        ep.scriptName() + " did not return within " + timeout.toSeconds() + " s",
                        ""));
              }
            });
    runner
        .run(spec, inv)
        .whenComplete(
            (r, err) ->
                loop.post(
                    () -> {
                      if (running == inv) {
                        finished(
                            inv,
                            r != null
                                ? r
                                : new EntryResult(
                                    ep,
                                    ExecStatus.FAILED,
                                    Optional.empty(),
                                    0,
                                    "internal error: " + err,
                                    ""));
                      }
                    }));
  }

  private void finished(Invocation inv, EntryResult r) {
    if (runningTimeout != null) {
      runningTimeout.cancel();
    }
    running = null;
    EntryPoint ep = inv.entryPoint();
    switch (ep) {
      case MONITOR -> onMonitor(r);
      case ONLINE -> onOnline(inv, r);
      case OFFLINE -> onOffline(inv, r);
      case CLEAN -> onClean(inv, r);
      case MIGRATE -> {
        // Whatever happened, the monitor that follows says where the guest is now.
        if (r.exec() != ExecStatus.DONE) {
          replyIfSettling(inv, r);
        } else {
          remember(inv, r);
        }
        monitorWanted = true;
      }
      case ACTION -> replyIfSettling(inv, r);
      case OPEN, ATTR_CHANGED -> {
        validated(r);
        replyIfSettling(inv, r);
      }
      case CLOSE -> {
        if (deleted) {
          agent.forget(this); // gone before the caller hears it
          replyIfSettling(inv, r);
          return;
        }
        replyIfSettling(inv, r); // disabled: kept, but not monitored
      }
    }
    publish();
    if (running == null
        && !deleted
        && enabled
        && monitorTimer == null
        && !monitorWanted
        && queue.isEmpty()) {
      scheduleMonitor(interval());
    }
    pump();
  }

  // ---- entry point outcomes ----

  private void onOnline(Invocation inv, EntryResult r) {
    if (r.exec() == ExecStatus.TIMED_OUT) {
      replyIfSettling(inv, r);
      cleanNow(CleanReason.ONLINE_HUNG);
      return;
    }
    if (r.exec() != ExecStatus.DONE) {
      replyIfSettling(inv, r); // the monitors below still judge it, as VCS does
    } else {
      remember(inv, r);
    }
    phase = Phase.ONLINE_WAIT;
    waitMonitors = 0;
    scheduleMonitor(Duration.ofSeconds(r.waitSeconds()));
  }

  private void onOffline(Invocation inv, EntryResult r) {
    if (r.exec() == ExecStatus.TIMED_OUT) {
      replyIfSettling(inv, r);
      cleanNow(CleanReason.OFFLINE_HUNG);
      return;
    }
    if (r.exec() != ExecStatus.DONE) {
      replyIfSettling(inv, r);
    } else {
      remember(inv, r);
    }
    phase = Phase.OFFLINE_WAIT;
    waitMonitors = 0;
    monitorWanted = true;
  }

  private void onClean(Invocation inv, EntryResult r) {
    CleanReason why = inv.cleanReason().orElse(CleanReason.UNEXPECTED_OFFLINE);
    if (r.exec() != ExecStatus.DONE) {
      cleanFailures++;
      log.warn(
          "clean failed resource={} reason={} failures={} err={}",
          name,
          why.description(),
          cleanFailures,
          r.reason());
      if (params.cleanRetryLimit() > 0 && cleanFailures > params.cleanRetryLimit()) {
        flag = Optional.of(FrameworkState.ADMIN_WAIT);
        phase = Phase.IDLE;
        replyIfSettling(inv, r);
        return;
      }
      // VCS retries a failed clean after the next periodic monitor.
      loop.schedule(
          params.monitorInterval(),
          () -> {
            if (!deleted && flag.isEmpty()) {
              submit(inv, null, false);
            }
          });
      replyIfSettling(inv, r);
      return;
    }
    cleanFailures = 0;
    replyIfSettling(inv, r);
    boolean automatic =
        why == CleanReason.UNEXPECTED_OFFLINE
            || why == CleanReason.MONITOR_HUNG
            || why == CleanReason.ONLINE_INEFFECTIVE
            || why == CleanReason.ONLINE_HUNG;
    if (automatic && expected == Expect.ONLINE) {
      boolean onlineFailure =
          why == CleanReason.ONLINE_INEFFECTIVE || why == CleanReason.ONLINE_HUNG;
      int used = onlineFailure ? onlineRetries : restarts;
      int limit = onlineFailure ? params.onlineRetryLimit() : params.restartLimit();
      if (used < limit) {
        if (onlineFailure) {
          onlineRetries++;
        } else {
          restarts++;
        }
        log.info("restarting resource={} after={} attempt={}", name, why.description(), used + 1);
        submit(Invocation.of(EntryPoint.ONLINE), null, false);
        return;
      }
      fault(why.description());
      return;
    }
    phase = Phase.IDLE;
    monitorWanted = true;
  }

  private void onMonitor(EntryResult r) {
    lastMonitor = Optional.of(wall.instant());
    try {
      judge(r);
    } finally {
      answerMonitorCommands(r);
    }
  }

  private void judge(EntryResult r) {
    if (invalid.isPresent()) {
      setState(MonitorResult.unknown("validation failed: " + invalid.get()));
      settleIfWaiting(); // never acted upon
      return;
    }
    MonitorResult m = r.state().orElse(MonitorResult.unknown(r.reason()));
    if (r.exec() == ExecStatus.TIMED_OUT) {
      monitorTimeouts++;
      setState(MonitorResult.unknown(r.reason()));
      if (params.faultOnMonitorTimeouts() > 0
          && monitorTimeouts >= params.faultOnMonitorTimeouts()
          && expected == Expect.ONLINE
          && flag.isEmpty()) {
        log.warn("monitor hung resource={} timeouts={}", name, monitorTimeouts);
        monitorTimeouts = 0;
        cleanNow(CleanReason.MONITOR_HUNG);
      }
      settleIfWaiting();
      return;
    }
    ResourceState before = state;
    setState(m);
    if (m.state() == ResourceState.UNKNOWN) {
      settleIfWaiting(); // never acted upon
      return;
    }
    monitorTimeouts = 0;
    boolean online = m.state() == ResourceState.ONLINE;
    boolean intentional = m.state() == ResourceState.INTENTIONAL_OFFLINE;
    if (online && before != ResourceState.ONLINE) {
      onlineSince = loop.ticker().nanoTime();
    }
    if (online && loop.ticker().nanoTime() - onlineSince >= params.confInterval().toNanos()) {
      restarts = 0;
      tolerance = 0;
    }
    switch (phase) {
      case ONLINE_WAIT -> {
        if (online) {
          phase = Phase.IDLE;
          tolerance = 0;
          settleIfWaiting();
        } else if (++waitMonitors > params.onlineWaitLimit()) {
          log.warn("online ineffective resource={} state={}", name, m);
          settleIfWaiting();
          cleanNow(CleanReason.ONLINE_INEFFECTIVE);
        }
      }
      case OFFLINE_WAIT -> {
        if (!online) {
          phase = Phase.IDLE;
          settleIfWaiting();
        } else if (++waitMonitors > params.offlineWaitLimit()) {
          log.warn("offline ineffective resource={} state={}", name, m);
          settleIfWaiting();
          cleanNow(CleanReason.OFFLINE_INEFFECTIVE);
        }
      }
      case IDLE -> {
        settleIfWaiting();
        if (expected == Expect.NONE && online) {
          expected = Expect.ONLINE; // found running at probe: ours to keep running from now on
        } else if (expected == Expect.NONE) {
          expected = Expect.OFFLINE;
        }
        boolean lost =
            expected == Expect.ONLINE
                && !online
                && flag.isEmpty()
                && !(intentional && params.intentionalOffline());
        if (lost) {
          if (++tolerance > params.toleranceLimit()) {
            log.warn("unexpected offline resource={} state={}", name, m);
            tolerance = 0;
            cleanNow(CleanReason.UNEXPECTED_OFFLINE);
          }
        } else if (intentional && expected == Expect.ONLINE) {
          expected = Expect.OFFLINE; // migrated or saved on purpose: not ours to restart
        }
      }
    }
  }

  /** Open and attr_changed run the environment validation; a failure holds the resource. */
  private void validated(EntryResult r) {
    if (r.exec() == ExecStatus.FAILED) {
      if (invalid.isEmpty() || !invalid.get().equals(r.reason())) {
        log.warn("validation failed resource={} problem={}", name, r.reason());
      }
      invalid = Optional.of(r.reason());
      setState(MonitorResult.unknown("validation failed: " + r.reason()));
      monitorWanted = false; // the validation was this round's probe
    } else if (r.exec() == ExecStatus.DONE && invalid.isPresent()) {
      log.info("validation passed resource={}", name);
      invalid = Optional.empty();
      monitorWanted = true; // the monitor the validation held back
    }
  }

  /** The entry points that change a VM on their own initiative: never while invalid. */
  private static boolean acts(EntryPoint ep) {
    return switch (ep) {
      case ONLINE, CLEAN, MIGRATE -> true; // start, force off, or move the VM
      case OFFLINE -> false; // an explicit graceful shutdown stays possible
      case MONITOR, ACTION, OPEN, CLOSE, ATTR_CHANGED -> false; // read or administrative
    };
  }

  private CommandException refusal() {
    return new CommandException(
        "invalid",
        "resource "
            + name
            + " failed validation: "
            + invalid.orElse("?")
            + " (fix it, then check with havirtverify "
            + name
            + ")");
  }

  private void cleanNow(CleanReason why) {
    queue.addFirst(new Pending(Invocation.clean(why), null, false));
  }

  private void fault(String why) {
    log.warn("resource faulted resource={} why={}", name, why);
    flag = Optional.of(FrameworkState.FAULTED);
    phase = Phase.IDLE;
    expected = Expect.NONE;
    monitorWanted = true;
  }

  // ---- replies and state ----

  /** Keeps the entry point's result for the answer given once things settle. */
  private void remember(Invocation inv, EntryResult r) {
    callers.remember(inv, r);
  }

  /** Answers the caller of {@code inv} now, with the entry point's own result. */
  private void replyIfSettling(Invocation inv, EntryResult r) {
    publish(); // a reply reports the state, numbered, that subscribers see
    callers.answer(inv, r, status());
  }

  /** Answers callers of explicit monitor commands: every monitor is a fresh probe for them. */
  private void answerMonitorCommands(EntryResult r) {
    publish();
    callers.answerMonitors(r, status());
  }

  /** Answers callers whose online, offline or migrate has settled, with the state it settled in. */
  private void settleIfWaiting() {
    publish();
    callers.settle(status());
  }

  private void setState(MonitorResult m) {
    state = m.state();
    confidence = m.confidence();
    reason = m.reason();
  }

  private Duration interval() {
    boolean watching =
        state == ResourceState.ONLINE || phase != Phase.IDLE || expected == Expect.ONLINE;
    return watching ? params.monitorInterval() : params.offlineMonitorInterval();
  }

  private void scheduleMonitor(Duration after) {
    cancelMonitorTimer();
    monitorTimer =
        loop.schedule(
            after,
            () -> {
              monitorTimer = null;
              requestMonitor();
            });
  }

  private void cancelMonitorTimer() {
    if (monitorTimer != null) {
      monitorTimer.cancel();
      monitorTimer = null;
    }
  }

  private void publish() {
    agent.changed(this);
  }

  ResourceStatus status() {
    return new ResourceStatus(
        name,
        type,
        state,
        confidence,
        reason,
        flag,
        expected.name().toLowerCase(java.util.Locale.ROOT),
        Optional.ofNullable(running).map(i -> i.entryPoint().scriptName()),
        lastMonitor,
        seq);
  }
}
