package org.havirt.agent.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.havirt.agent.core.ResourceModel.Expect;
import org.havirt.agent.core.ResourceModel.Phase;
import org.havirt.agent.core.ResourceModel.Queued;
import org.havirt.agent.core.ResourceModel.Running;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/**
 * The agent framework's rules for one resource (spec §5, §6), as a pure function: {@link #apply}
 * takes the resource's {@link ResourceModel} and one {@link Event}, changes the model, and returns
 * the {@link Effect}s to carry out, in order. It does no I/O, reads no clock (the time comes with
 * the call) and starts nothing itself, so every rule can be tested as a function of (state, event),
 * and thousands of random sequences can be checked against invariants.
 *
 * <p>The rules above all: UNKNOWN never triggers clean, restart or fault; nothing acts on a VM
 * after delete or disable; an engine command supersedes automatic work queued before it; every gate
 * is checked when an entry point starts, not when it is queued; one entry point at a time, even
 * when one outlives its timeout. This class handles events, the queue and the gates; {@link
 * Outcomes} judges what entry points return.
 */
final class ResourceRules {
  /** How long past its timeout the framework waits for an entry point before judging it hung. */
  static final Duration GRACE = Duration.ofSeconds(1);

  /**
   * A monitor's extra grace: after a backend deadline the monitor asks the backend whether its
   * control connection explains the timeout (spec §6), which may take a moment.
   */
  static final Duration MONITOR_GRACE = Duration.ofSeconds(3);

  final ResourceModel m;
  final List<Effect> out = new ArrayList<>();
  final long now;
  final Instant wallNow;
  private final Queueing queueing;

  private ResourceRules(ResourceModel m, long now, Instant wallNow) {
    this.m = m;
    this.now = now;
    this.wallNow = wallNow;
    this.queueing = new Queueing(this);
  }

  /** Applies {@code e} to {@code m} at ticker time {@code now}; returns what to do. */
  static List<Effect> apply(ResourceModel m, Event e, long now, Instant wallNow) {
    ResourceRules r = new ResourceRules(m, now, wallNow);
    r.handle(e);
    r.keepWatching();
    return r.out;
  }

  private void handle(Event e) {
    if (e instanceof Event.Open) {
      open();
    } else if (e instanceof Event.Modify mod) {
      modify(mod.spec());
    } else if (e instanceof Event.Delete d) {
      delete(d.caller());
    } else if (e instanceof Event.Command c) {
      command(c.invocation(), c.caller());
    } else if (e instanceof Event.Clear) {
      clear();
    } else if (e instanceof Event.Hint) {
      requestMonitor();
    } else if (e instanceof Event.Started s) {
      started(s.run());
    } else if (e instanceof Event.Finished f) {
      finished(f.run(), f.result());
    } else if (e instanceof Event.TimerFired t) {
      fired(t.kind(), t.token());
    } else {
      throw new IllegalArgumentException("unknown event " + e);
    }
  }

  // ---- events ----

  private void open() {
    m.enabled = m.spec.bool("Enabled", true);
    if (!m.enabled) {
      m.reason = "not monitored: Enabled = 0";
      publish();
      return;
    }
    submit(Invocation.of(EntryPoint.OPEN), 0, false);
    requestMonitor();
  }

  private void modify(GuestSpec newSpec) {
    GuestSpec old = m.spec;
    if (newSpec.equals(old)) {
      // Nothing changed (the OCF start brings the attributes up to date every time): nothing to
      // re-probe, and a monitor now would hold up the online sent right behind it.
      return;
    }
    m.spec = newSpec;
    m.params = FrameworkParams.of(newSpec);
    boolean nowEnabled = newSpec.bool("Enabled", true);
    if (nowEnabled != m.enabled) {
      m.enabled = nowEnabled;
      if (!nowEnabled) {
        // Disabled: close, stop monitoring, leave the VM exactly as it is, answer everyone.
        abandon("disabled", "resource " + m.name + " was disabled (Enabled = 0)");
        submit(Invocation.of(EntryPoint.CLOSE), 0, false);
        setState(MonitorResult.unknown("not monitored: Enabled = 0"));
        m.confidence = 0;
        publish();
      } else {
        // Re-enabled: a fresh start, as if just added. A framework flag stays until cleared, and
        // so does the engine's last word (a guest it stopped here is never restarted by us).
        m.state = ResourceState.UNKNOWN;
        m.confidence = 0;
        m.reason = "not probed yet";
        m.expected = Expect.NONE;
        m.phase = Phase.IDLE;
        m.invalid = Optional.empty();
        m.guestAbsent = false;
        m.waitMonitors = 0;
        m.tolerance = 0;
        m.restarts = 0;
        m.onlineRetries = 0;
        m.monitorTimeouts = 0;
        m.lastMonitorTimedOut = false;
        m.cleanFailures = 0;
        publish();
        submit(Invocation.of(EntryPoint.OPEN), 0, false);
        requestMonitor();
      }
      return;
    }
    if (!m.enabled || m.deleted) {
      return;
    }
    // VCS calls attr_changed only for the attributes the type registers in RegList.
    List<String> regList =
        newSpec.attributes().get("RegList") instanceof AttributeValue.Vector v
            ? v.items()
            : List.of();
    boolean registered =
        regList.stream()
            .anyMatch(a -> !Objects.equals(old.attributes().get(a), newSpec.attributes().get(a)));
    if (registered) {
      submit(Invocation.of(EntryPoint.ATTR_CHANGED), 0, false);
    }
    requestMonitor();
  }

  private void delete(long caller) {
    m.deleteCallers.add(caller);
    if (m.deleted) {
      return; // a second delete waits for the same close
    }
    m.deleted = true;
    abandon("deleted", "resource " + m.name + " was deleted");
    if (m.running != null) {
      // Its result will not be judged, and a close (which touches nothing) need not wait for a
      // call that may be stuck in the backend: the resource is gone now.
      log(false, "deleted while " + describe(m.running.invocation) + " still runs: not judged");
      out.add(new Effect.Forget());
      for (long c : m.deleteCallers) {
        out.add(new Effect.Answer(c, ExecStatus.DONE, "deleted", ""));
      }
      m.deleteCallers.clear();
      return;
    }
    submit(Invocation.of(EntryPoint.CLOSE), 0, false);
  }

  /**
   * Delete or disable: no timer, queued entry point or in-flight result may touch the VM from now
   * on, and every caller gets its answer now.
   */
  private void abandon(String code, String message) {
    disarm(TimerKind.MONITOR);
    disarm(TimerKind.CLEAN_RETRY);
    m.retry = null;
    m.retryDue = false;
    m.monitorWanted = false;
    m.phase = Phase.IDLE;
    for (Queued q : m.queue) {
      if (q.caller() != 0) {
        out.add(new Effect.Refuse(q.caller(), code, message));
      }
    }
    m.queue.clear();
    m.callers.refuseAll(code, message, out);
    if (m.running != null && !m.running.orphaned) {
      m.running.orphaned = true;
      log(
          false,
          m.running.invocation.entryPoint().scriptName()
              + " still running while the resource was "
              + code
              + ": its result will not be judged");
    }
  }

  private void command(Invocation inv, long caller) {
    if (m.deleted) {
      refuse(caller, "no_such_resource", "resource " + m.name + " was deleted");
      return;
    }
    if (!m.enabled) {
      refuse(caller, "disabled", "resource " + m.name + " is disabled (Enabled = 0)");
      return;
    }
    EntryPoint ep = inv.entryPoint();
    if (m.running != null && m.running.stuck) {
      refuse(caller, "busy", stuckMessage());
      return;
    }
    if (ep == EntryPoint.ONLINE && m.flag.isPresent()) {
      refuse(caller, "faulted", faultedMessage());
      return;
    }
    if (changesVm(ep)) {
      supersede(inv);
    }
    if (m.invalid.isPresent() && acts(ep)) {
      // The failed validation may be stale (the shared storage with the definition mounted since
      // the probe): validate afresh first. The gate refuses the command when it would start if
      // the environment is still broken; refusing now, on the old word, failed a failover's start
      // (fatal to Pacemaker).
      submit(Invocation.of(EntryPoint.OPEN), 0, false);
      submit(inv, caller, true);
      return;
    }
    if (ep == EntryPoint.MONITOR && (m.invalid.isPresent() || validating())) {
      // A probe re-validates first. Also when a validation is under way (just added, or an
      // attribute changed): it began before this request, and an answer speaks only for checks
      // made for it (guestAbsent, issue 14.3).
      submit(Invocation.of(EntryPoint.OPEN), 0, false);
    }
    submit(inv, caller, true);
  }

  /** Whether a validation (open, attr_changed) runs or waits in the queue. */
  private boolean validating() {
    if (m.running != null && validates(m.running.invocation.entryPoint())) {
      return true;
    }
    return m.queue.stream().anyMatch(q -> validates(q.invocation().entryPoint()));
  }

  private static boolean validates(EntryPoint ep) {
    return ep == EntryPoint.OPEN || ep == EntryPoint.ATTR_CHANGED;
  }

  /**
   * An engine command that acts is the newest intent: automatic work queued or scheduled before it
   * (a restart, a clean, a clean retry) no longer applies.
   */
  private void supersede(Invocation inv) {
    m.intent++;
    boolean dropped =
        m.queue.removeIf(q -> !q.fromEngine() && changesVm(q.invocation().entryPoint()));
    if (dropped) {
      log(false, "automatic work dropped: the engine asked for " + describe(inv));
    }
    if (m.retry != null) {
      log(false, "clean retry cancelled: the engine asked for " + describe(inv));
      m.retry = null;
      m.retryDue = false;
      disarm(TimerKind.CLEAN_RETRY);
    }
  }

  private void clear() {
    m.flag = Optional.empty();
    m.cleanFailures = 0;
    if (m.expected == Expect.ONLINE && m.state != ResourceState.ONLINE) {
      m.expected = Expect.NONE;
    }
    publish();
  }

  void requestMonitor() {
    if (!m.enabled || m.deleted) {
      return;
    }
    m.monitorWanted = true;
    pump();
  }

  private void started(long run) {
    Running r = m.running;
    if (r == null || r.id != run || r.started) {
      return;
    }
    r.started = true;
    EntryPoint ep = r.invocation.entryPoint();
    Duration grace = ep == EntryPoint.MONITOR ? MONITOR_GRACE : GRACE;
    arm(TimerKind.ENTRY_TIMEOUT, FrameworkParams.timeout(m.spec, ep).plus(grace));
  }

  private void finished(long run, EntryResult result) {
    Running r = m.running;
    if (r == null || r.id != run) {
      log(true, "result of an entry point no longer running, ignored: " + result.reason());
      return;
    }
    m.running = null;
    disarm(TimerKind.ENTRY_TIMEOUT);
    EntryPoint ep = r.invocation.entryPoint();
    if (r.orphaned) {
      log(
          false,
          ep.scriptName() + " returned after delete or disable, not judged: " + result.reason());
    } else if (r.stuck) {
      // Judged when its timeout passed; what it did since is for a fresh monitor to see.
      log(
          true,
          ep.scriptName() + " returned " + ep.timeoutAttribute() + " late: " + result.reason());
      m.monitorWanted = m.enabled && !m.deleted;
    } else if (new Outcomes(this).finished(r, result)) {
      return; // the resource is gone
    }
    pump();
  }

  private void fired(TimerKind kind, long token) {
    Long armed = m.timers.get(kind);
    if (armed == null || armed != token) {
      return; // cancelled or re-armed since
    }
    m.timers.remove(kind);
    switch (kind) {
      case MONITOR -> requestMonitor(); // the interval, or the wait after online, is over
      case ENTRY_TIMEOUT -> timedOut(); // the running entry point overran its timeout
      case CLEAN_RETRY -> retryClean(); // VCS retries a failed clean after a monitor interval
    }
  }

  /**
   * The framework's own timeout: the entry point is judged as timed out now, but keeps the
   * resource's slot until it really returns, so the next entry point never overlaps it.
   */
  private void timedOut() {
    Running r = m.running;
    if (r == null || r.stuck) {
      return;
    }
    r.stuck = true;
    EntryPoint ep = r.invocation.entryPoint();
    Duration timeout = FrameworkParams.timeout(m.spec, ep);
    String why = ep.scriptName() + " did not return within " + timeout.toSeconds() + " s";
    log(true, why + "; the next entry point waits for it");
    if (!r.orphaned) {
      new Outcomes(this)
          .finished(r, new EntryResult(ep, ExecStatus.TIMED_OUT, Optional.empty(), 0, why, ""));
    }
    // Engine commands waiting behind it get their answer now rather than at their own timeout.
    m.queue.removeIf(
        q -> {
          if (q.fromEngine() && q.caller() != 0) {
            out.add(new Effect.Refuse(q.caller(), "busy", stuckMessage()));
            return true;
          }
          return false;
        });
    if (!m.deleted && m.enabled) {
      setState(MonitorResult.unknown(why + " (still running in the backend)"));
      publish();
    }
  }

  private String stuckMessage() {
    return "resource "
        + m.name
        + ": "
        + m.running.invocation.entryPoint().scriptName()
        + " is still running in the backend past its timeout; try again once it returns";
  }

  /**
   * A failed clean's retry is due: it is decided on a fresh monitor, never on what was seen before
   * the failure (Outcomes decides when that monitor returns).
   */
  private void retryClean() {
    if (m.retry == null) {
      return;
    }
    m.retryDue = true;
    requestMonitor();
  }

  // ---- the queue (see Queueing) ----

  void submit(Invocation inv, long caller, boolean fromEngine) {
    queueing.submit(inv, caller, fromEngine);
  }

  void cleanNow(CleanReason why) {
    queueing.cleanNow(why);
  }

  void pump() {
    queueing.pump();
  }

  /**
   * Liveness, after every event: a resource that is managed and idle always has its next monitor
   * due, whatever path led here (a refused entry point, a dropped retry, a clear).
   */
  private void keepWatching() {
    queueing.settleTimers();
  }

  /** The entry points that change a VM on their own initiative: never while invalid. */
  static boolean acts(EntryPoint ep) {
    return switch (ep) {
      case ONLINE, CLEAN, MIGRATE -> true; // start, force off, or move the VM
      case OFFLINE -> false; // an explicit graceful shutdown stays possible
      case MONITOR, ACTION, OPEN, CLOSE, ATTR_CHANGED -> false; // read or administrative
    };
  }

  /** The entry points that start, stop or move the VM. */
  static boolean changesVm(EntryPoint ep) {
    return acts(ep) || ep == EntryPoint.OFFLINE;
  }

  // ---- helpers shared with Outcomes ----

  void arm(TimerKind kind, Duration after) {
    long token = m.nextId++;
    m.timers.put(kind, token);
    out.add(new Effect.Arm(kind, token, after));
  }

  void disarm(TimerKind kind) {
    if (m.timers.remove(kind) != null) {
      out.add(new Effect.Disarm(kind));
    }
  }

  void setState(MonitorResult r) {
    m.state = r.state();
    m.confidence = r.confidence();
    m.reason = r.reason();
  }

  void publish() {
    out.add(new Effect.Publish());
  }

  void log(boolean warn, String message) {
    out.add(new Effect.Log(warn, "resource=" + m.name + " " + message));
  }

  void refuse(long caller, String code, String message) {
    if (caller != 0) {
      out.add(new Effect.Refuse(caller, code, message));
    }
  }

  String faultedMessage() {
    return "resource "
        + m.name
        + " is "
        + m.flag.orElseThrow()
        + "; clear it first (havirt clear "
        + m.name
        + ")";
  }

  String invalidMessage() {
    return "resource "
        + m.name
        + " failed validation: "
        + m.invalid.orElse("?")
        + " (fix it, then check with havirtverify "
        + m.name
        + ")";
  }

  static String describe(Invocation inv) {
    return inv.entryPoint().scriptName()
        + inv.cleanReason().map(r -> " (" + r.description() + ")").orElse("")
        + inv.target().map(t -> " to " + t).orElse("");
  }
}
