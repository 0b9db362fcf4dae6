package org.havirt.agent.core;

import java.time.Duration;
import java.util.Optional;
import org.havirt.agent.core.ResourceModel.Expect;
import org.havirt.agent.core.ResourceModel.Phase;
import org.havirt.agent.core.ResourceModel.Queued;
import org.havirt.agent.core.ResourceModel.Running;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ResourceState;

/**
 * The part of {@link ResourceRules} that decides what runs next: the queue of entry points, the
 * gates every entry point passes when it would start (delete, disable, invalid, faulted, a newer
 * engine intent, UNKNOWN), and the expectation an engine command sets when it starts. Pure, like
 * the rules it belongs to.
 */
final class Queueing {
  private final ResourceRules rules;
  private final ResourceModel m;

  Queueing(ResourceRules rules) {
    this.rules = rules;
    this.m = rules.m;
  }

  void submit(Invocation inv, long caller, boolean fromEngine) {
    if (!fromEngine && ResourceRules.changesVm(inv.entryPoint()) && engineWaits(inv)) {
      return;
    }
    m.queue.add(new Queued(inv, caller, fromEngine, m.intent));
    pump();
  }

  /** An automatic clean goes ahead of other queued work, under the current intent. */
  void cleanNow(CleanReason why) {
    Invocation clean = Invocation.clean(why);
    if (m.deleted || !m.enabled || engineWaits(clean)) {
      return;
    }
    m.queue.addFirst(new Queued(clean, 0, false, m.intent));
  }

  /**
   * Whether an engine command that starts, stops or moves the VM is waiting: it is the newest
   * intent, so automatic work decided meanwhile ({@code auto}) is not queued at all.
   */
  private boolean engineWaits(Invocation auto) {
    for (Queued q : m.queue) {
      if (q.fromEngine() && ResourceRules.changesVm(q.invocation().entryPoint())) {
        rules.log(
            false,
            "automatic "
                + ResourceRules.describe(auto)
                + " skipped: the engine's "
                + ResourceRules.describe(q.invocation())
                + " is waiting");
        return true;
      }
    }
    return false;
  }

  /** Starts the next entry point if none holds the resource: queued work first, then a monitor. */
  void pump() {
    while (m.running == null) {
      Queued next = m.queue.poll();
      if (next == null) {
        break;
      }
      Optional<String[]> refusal = gate(next);
      if (refusal.isEmpty()) {
        start(next);
        return;
      }
      if (next.caller() != 0) {
        rules.refuse(next.caller(), refusal.get()[0], refusal.get()[1]);
      } else {
        rules.log(
            false, ResourceRules.describe(next.invocation()) + " not started: " + refusal.get()[1]);
      }
    }
    if (m.running == null && m.monitorWanted && m.enabled && !m.deleted) {
      m.monitorWanted = false;
      // While the environment is invalid, a monitor round re-runs the validation first; the
      // monitor follows once it passes.
      Invocation probe =
          Invocation.of(m.invalid.isPresent() ? EntryPoint.OPEN : EntryPoint.MONITOR);
      start(new Queued(probe, 0, false, m.intent));
    }
  }

  /**
   * The gates, checked when an entry point would start: returns {code, message} to refuse it, or
   * empty to let it run.
   */
  private Optional<String[]> gate(Queued q) {
    EntryPoint ep = q.invocation().entryPoint();
    if (m.deleted && ep != EntryPoint.CLOSE) {
      return refusal("no_such_resource", "resource " + m.name + " was deleted");
    }
    if (!m.enabled && ep != EntryPoint.CLOSE) {
      return refusal("disabled", "resource " + m.name + " is disabled (Enabled = 0)");
    }
    if (m.invalid.isPresent() && ResourceRules.acts(ep)) {
      // Queued before the validation failed: never act on an environment known to be broken.
      return refusal("invalid", rules.invalidMessage());
    }
    if (ep == EntryPoint.ONLINE && m.flag.isPresent()) {
      return refusal("faulted", rules.faultedMessage());
    }
    if (!q.fromEngine() && ResourceRules.changesVm(ep)) {
      if (m.flag.isPresent()) {
        return refusal("faulted", "nothing automatic while " + m.flag.get());
      }
      if (q.intent() != m.intent) {
        return refusal("superseded", "the engine asked for something else since");
      }
      boolean monitorHung =
          q.invocation().cleanReason().filter(r -> r == CleanReason.MONITOR_HUNG).isPresent();
      if (m.state == ResourceState.UNKNOWN && !monitorHung) {
        return refusal("unknown", "the resource is UNKNOWN (" + m.reason + ")");
      }
    }
    return Optional.empty();
  }

  private static Optional<String[]> refusal(String code, String message) {
    return Optional.of(new String[] {code, message});
  }

  private void start(Queued q) {
    Invocation inv = q.invocation();
    EntryPoint kind = inv.entryPoint();
    Expect before = m.expected;
    if (q.fromEngine() && ResourceRules.changesVm(kind)) {
      if (kind != EntryPoint.ONLINE) {
        // The engine moved on from any online it was waiting for: nothing judges that any more.
        m.phase = Phase.IDLE;
        m.waitMonitors = 0;
      }
      m.intent++; // whatever automatic work was decided before it started is stale now
      if (kind != EntryPoint.MIGRATE) {
        m.engineStopped = kind != EntryPoint.ONLINE;
      }
    }
    // The engine's expectation changes when its entry point starts, not when it is queued: a
    // monitor still running from before must not be judged against an expectation it predates.
    if (kind == EntryPoint.ONLINE) {
      m.expected = Expect.ONLINE;
      if (q.fromEngine()) {
        m.onlineRetries = 0;
        m.restarts = 0;
      }
    } else if (q.fromEngine() && (kind == EntryPoint.OFFLINE || kind == EntryPoint.MIGRATE)) {
      m.expected = Expect.OFFLINE;
    } else if (q.fromEngine() && kind == EntryPoint.CLEAN) {
      // A forced stop by the engine (its offline hung or did not work, e.g. Pacemaker's stop
      // with force_stop, or its own recovery): the guest going away is what the engine asked
      // for, not a fault, and nothing automatic starts it again.
      m.expected = Expect.OFFLINE;
    }
    rules.disarm(TimerKind.MONITOR);
    Running r = new Running(m.nextId++, inv, q.fromEngine(), before);
    m.running = r;
    if (q.caller() != 0) {
      m.callers.add(q.caller(), r.id, kind);
    }
    rules.publish();
    rules.out.add(new Effect.Run(r.id, inv, m.spec));
  }

  /** After an entry point: the next monitor is due after the interval, unless more is waiting. */
  void settleTimers() {
    if (m.running == null
        && !m.deleted
        && m.enabled
        && !m.timers.containsKey(TimerKind.MONITOR)
        && !m.monitorWanted
        && m.queue.isEmpty()) {
      rules.arm(TimerKind.MONITOR, interval());
    }
  }

  private Duration interval() {
    boolean watching =
        m.state == ResourceState.ONLINE || m.phase != Phase.IDLE || m.expected == Expect.ONLINE;
    return watching ? m.params.monitorInterval() : m.params.offlineMonitorInterval();
  }
}
