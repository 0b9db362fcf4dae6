package org.havirt.agent.core;

import java.util.Optional;
import org.havirt.agent.core.ResourceModel.Expect;
import org.havirt.agent.core.ResourceModel.Phase;
import org.havirt.agent.core.ResourceModel.Running;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.FrameworkState;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;

/**
 * The half of {@link ResourceRules} that judges what an entry point returned: the monitor against
 * the expectation (tolerance, online/offline wait limits, restarts, faults), and the outcome of
 * online, offline, clean, migrate, open and close. Pure, like the rules it belongs to.
 */
final class Outcomes {
  /** The confidence of a guest still arriving (VmStateTable: LAUNCHING, spec §4). */
  static final int ARRIVING_CONFIDENCE = 10;

  private final ResourceRules rules;
  private final ResourceModel m;

  /**
   * This round found the guest certainly not on this node (issue 14.3): the callers it answers are
   * told so. One Outcomes judges one entry point's result, so this never outlives its round.
   */
  private boolean guestAbsent;

  Outcomes(ResourceRules rules) {
    this.rules = rules;
    this.m = rules.m;
  }

  /** Judges {@code r}'s result; returns true when the resource is gone (its close after delete). */
  boolean finished(Running r, EntryResult res) {
    switch (r.invocation.entryPoint()) {
      case MONITOR -> onMonitor(r, res);
      case ONLINE -> onOnline(r, res);
      case OFFLINE -> onOffline(r, res);
      case CLEAN -> onClean(r, res);
      case MIGRATE -> onMigrate(r, res);
      case ACTION -> answer(r, res);
      case OPEN, ATTR_CHANGED -> {
        validated(res);
        answer(r, res);
      }
      case CLOSE -> {
        if (m.deleted) {
          // Gone before the callers hear it.
          rules.out.add(new Effect.Forget());
          answer(r, res);
          for (long caller : m.deleteCallers) {
            rules.out.add(new Effect.Answer(caller, res.exec(), res.reason(), ""));
          }
          m.deleteCallers.clear();
          return true;
        }
        answer(r, res); // disabled: kept, but not monitored
      }
    }
    rules.publish();
    return false;
  }

  // ---- entry point outcomes ----

  private void onOnline(Running r, EntryResult res) {
    if (res.exec() == ExecStatus.TIMED_OUT) {
      answer(r, res);
      rules.cleanNow(CleanReason.ONLINE_HUNG);
      // Should the clean not run (UNKNOWN by then), the monitors judge the online as usual.
      m.phase = Phase.ONLINE_WAIT;
      m.waitMonitors = 0;
      return;
    }
    if (res.exec() != ExecStatus.DONE) {
      answer(r, res); // the monitors below still judge it, as VCS does
    } else {
      m.callers.remember(r.id, res);
    }
    m.phase = Phase.ONLINE_WAIT;
    m.waitMonitors = 0;
    rules.arm(TimerKind.MONITOR, java.time.Duration.ofSeconds(res.waitSeconds()));
  }

  private void onOffline(Running r, EntryResult res) {
    m.phase = Phase.OFFLINE_WAIT;
    m.waitMonitors = 0;
    if (res.exec() == ExecStatus.TIMED_OUT) {
      answer(r, res);
      rules.cleanNow(CleanReason.OFFLINE_HUNG);
      return;
    }
    if (res.exec() != ExecStatus.DONE) {
      answer(r, res);
    } else {
      m.callers.remember(r.id, res);
    }
    m.monitorWanted = true;
  }

  private void onClean(Running r, EntryResult res) {
    CleanReason why = r.invocation.cleanReason().orElse(CleanReason.UNEXPECTED_OFFLINE);
    if (res.exec() != ExecStatus.DONE) {
      m.cleanFailures++;
      rules.log(
          true,
          "clean failed reason="
              + why.description()
              + " failures="
              + m.cleanFailures
              + " err="
              + res.reason());
      if (stopping(r.invocation)) {
        // It finished the engine's offline, whose callers waited for it: they hear now that
        // the guest is not known to be gone (the state they get says what the last monitor saw).
        settle();
      }
      if (m.params.cleanRetryLimit() > 0 && m.cleanFailures > m.params.cleanRetryLimit()) {
        m.flag = Optional.of(FrameworkState.ADMIN_WAIT);
        m.phase = Phase.IDLE;
        answer(r, res);
        return;
      }
      // VCS retries a failed clean after the next monitor interval; a fresh monitor decides it.
      m.retry = new ResourceModel.Retry(r.invocation, r.fromEngine, m.intent);
      m.retryDue = false;
      rules.arm(TimerKind.CLEAN_RETRY, m.params.monitorInterval());
      answer(r, res);
      return;
    }
    m.cleanFailures = 0;
    answer(r, res);
    boolean automatic =
        why == CleanReason.UNEXPECTED_OFFLINE
            || why == CleanReason.MONITOR_HUNG
            || why == CleanReason.ONLINE_INEFFECTIVE
            || why == CleanReason.ONLINE_HUNG;
    if (automatic && !r.fromEngine && m.expected == Expect.ONLINE) {
      boolean onlineFailure =
          why == CleanReason.ONLINE_INEFFECTIVE || why == CleanReason.ONLINE_HUNG;
      int used = onlineFailure ? m.onlineRetries : m.restarts;
      int limit = onlineFailure ? m.params.onlineRetryLimit() : m.params.restartLimit();
      if (m.engineStopped && used < limit) {
        // It runs here against the engine's last word (started by hand after the engine's stop):
        // report the crash, but starting it again is not ours to decide.
        rules.log(true, "not restarted: the engine stopped this guest here last");
      } else if (used < limit) {
        if (onlineFailure) {
          m.onlineRetries++;
        } else {
          m.restarts++;
        }
        rules.log(false, "restarting after=" + why.description() + " attempt=" + (used + 1));
        rules.submit(Invocation.of(EntryPoint.ONLINE), 0, false);
        return;
      }
      fault(why.description());
      return;
    }
    m.phase = Phase.IDLE;
    m.monitorWanted = true;
  }

  private void onMigrate(Running r, EntryResult res) {
    if (res.exec() != ExecStatus.DONE) {
      // The guest did not leave (or nobody knows): it is expected where it was; the monitor says.
      m.expected = r.expectBefore;
      answer(r, res);
    } else {
      m.callers.remember(r.id, res);
    }
    m.monitorWanted = true;
  }

  /** Open and attr_changed run the environment validation; a failure holds the resource. */
  private void validated(EntryResult res) {
    // Only a validation that failed for that reason alone says so; a passed or timed-out one
    // clears what an earlier one said.
    m.guestAbsent = res.exec() == ExecStatus.FAILED && res.guestAbsent();
    guestAbsent = m.guestAbsent;
    if (res.exec() == ExecStatus.FAILED) {
      if (m.invalid.isEmpty() || !m.invalid.get().equals(res.reason())) {
        rules.log(true, "validation failed problem=" + res.reason());
      }
      m.invalid = Optional.of(res.reason());
      rules.setState(MonitorResult.unknown("validation failed: " + res.reason()));
      m.monitorWanted = false; // the validation was this round's probe
      // ...so whoever waits for this round's probe (an offline run while invalid) hears it now:
      // no monitor follows to settle them.
      settle();
    } else if (res.exec() == ExecStatus.DONE && m.invalid.isPresent()) {
      rules.log(false, "validation passed");
      m.invalid = Optional.empty();
      m.monitorWanted = true; // the monitor the validation held back
    }
  }

  // ---- the monitor ----

  private void onMonitor(Running r, EntryResult res) {
    // A probe of an invalid resource re-validates first: that validation found the guest certainly
    // absent, and this monitor, fresh from the backend, agrees it does not run here. Consumed: a
    // later monitor needs a validation of its own.
    guestAbsent = m.guestAbsent && m.invalid.isPresent() && !r.stuck && notRunning(res);
    m.guestAbsent = false;
    m.guestActive = !r.stuck && res.guestActive();
    m.lastMonitor = Optional.of(rules.wallNow);
    if (r.stuck) {
      // The framework's own timer, past the backend's deadline: nobody can say whether the VM
      // or the backend is at fault, so it is UNKNOWN and does not count toward a monitor hang.
      m.lastMonitorTimedOut = false;
      rules.setState(MonitorResult.unknown(res.reason()));
      settle();
    } else {
      judge(res);
    }
    rules.publish();
    m.callers.answerMonitors(res, guestAbsent, rules.out);
  }

  /** The backend answered, and the guest does not run here. */
  private static boolean notRunning(EntryResult res) {
    if (res.exec() != ExecStatus.DONE || res.state().isEmpty()) {
      return false;
    }
    return switch (res.state().get().state()) {
      case OFFLINE, INTENTIONAL_OFFLINE -> true; // the backend asked libvirt: not running here
      case ONLINE -> false; // it runs
      case UNKNOWN -> false; // nobody could tell
    };
  }

  private void judge(EntryResult res) {
    if (m.invalid.isPresent()) {
      rules.setState(MonitorResult.unknown("validation failed: " + m.invalid.get()));
      settle(); // never acted upon
      return;
    }
    MonitorResult now = res.state().orElse(MonitorResult.unknown(res.reason()));
    if (res.exec() == ExecStatus.TIMED_OUT) {
      // Counted: the backend's control connection was healthy, so the VM itself did not answer.
      m.monitorTimeouts++;
      m.lastMonitorTimedOut = true;
      rules.setState(MonitorResult.unknown(res.reason()));
      if (m.params.faultOnMonitorTimeouts() > 0
          && m.monitorTimeouts >= m.params.faultOnMonitorTimeouts()
          && m.expected == Expect.ONLINE
          && m.flag.isEmpty()) {
        rules.log(true, "monitor hung timeouts=" + m.monitorTimeouts);
        m.monitorTimeouts = 0;
        rules.cleanNow(CleanReason.MONITOR_HUNG);
      }
      settle();
      checkRetry();
      return;
    }
    // Only consecutive timeouts count: any monitor that returned, whatever it saw, resets them.
    m.monitorTimeouts = 0;
    m.lastMonitorTimedOut = false;
    ResourceState before = m.state;
    rules.setState(now);
    if (now.state() == ResourceState.UNKNOWN) {
      settle(); // never acted upon
      checkRetry();
      return;
    }
    boolean online = now.state() == ResourceState.ONLINE;
    boolean intentional = now.state() == ResourceState.INTENTIONAL_OFFLINE;
    if (online && before != ResourceState.ONLINE) {
      m.onlineSince = rules.now;
    }
    if (online && rules.now - m.onlineSince >= m.params.confInterval().toNanos()) {
      m.restarts = 0;
      m.tolerance = 0;
    }
    switch (m.phase) {
      case ONLINE_WAIT -> onlineWait(now, online, intentional);
      case OFFLINE_WAIT -> offlineWait(now, online);
      case IDLE -> idle(now, online, intentional);
    }
    checkRetry();
  }

  private void onlineWait(MonitorResult now, boolean online, boolean intentional) {
    if (online) {
      m.phase = Phase.IDLE;
      m.tolerance = 0;
      settle();
    } else if (m.guestActive) {
      // Its process is here, OFFLINE by policy (paused on an I/O error): the online found it
      // "already running" and waiting more monitors cannot bring it up. Cleaned now, so the
      // engine's recovery elsewhere is not held up by a qemu left here.
      rules.log(true, "online ineffective state=" + now + " (its process is still here)");
      settle();
      rules.cleanNow(CleanReason.ONLINE_INEFFECTIVE);
    } else if (++m.waitMonitors > m.params.onlineWaitLimit()) {
      rules.log(true, "online ineffective state=" + now);
      settle();
      if (intentional) {
        // Migrated away, saved, or running on another host: nothing of ours runs here to clean,
        // and a clean could reach a VM that is not ours to stop.
        fault("online ineffective: " + now.reason());
      } else {
        rules.cleanNow(CleanReason.ONLINE_INEFFECTIVE);
      }
    }
  }

  private void offlineWait(MonitorResult now, boolean online) {
    if (!online && m.guestActive && m.flag.isPresent()) {
      // Still here, but nothing automatic runs while FAULTED or ADMIN_WAIT: the callers hear it
      // is not gone (guestActive), and the engine's own clean, always allowed, can finish it.
      m.phase = Phase.IDLE;
      settle();
    } else if (!online && m.guestActive) {
      // OFFLINE by policy (paused on an I/O error) with its process still here: not stopped, and
      // a graceful shutdown cannot reach a paused guest. Destroyed now; the offline's callers are
      // answered by the monitor after the clean, with whatever it finds.
      if (m.retry == null) { // else the failed clean's retry, due now, serves
        rules.log(true, "offline ineffective state=" + now + " (its process is still here)");
        rules.cleanNow(CleanReason.OFFLINE_INEFFECTIVE);
      }
    } else if (!online) {
      m.phase = Phase.IDLE;
      settle();
    } else if (++m.waitMonitors > m.params.offlineWaitLimit()) {
      rules.log(true, "offline ineffective state=" + now);
      settle();
      rules.cleanNow(CleanReason.OFFLINE_INEFFECTIVE);
    }
  }

  private void idle(MonitorResult now, boolean online, boolean intentional) {
    settle();
    // ONLINE 10 is a guest still arriving (launching, or paused for an incoming migration): not
    // ours until it runs, since a migration that fails takes the copy away, and taking it
    // would make that end an unexpected offline, cleaned and restarted here (nemesis seed 2).
    boolean arriving = online && now.confidence() <= ARRIVING_CONFIDENCE;
    if (online && !arriving && m.expected != Expect.ONLINE && m.flag.isEmpty()) {
      // Found running here (at the first probe, or arrived by migration): ours to keep running.
      if (m.expected == Expect.OFFLINE) {
        rules.log(false, "guest runs here: expected online from now on (" + now.reason() + ")");
      }
      m.expected = Expect.ONLINE;
    } else if (m.guestActive && m.expected != Expect.ONLINE && m.flag.isEmpty()) {
      // Found OFFLINE with its process still here: it ran here and paused on an I/O error while
      // no agent watched (spec §6: the agent's restart is invisible). Judged as the agent that
      // was up would have: a guest that ran here went unexpectedly offline, so it is cleaned and
      // faulted, and the engine can fail it over (the peers' split-brain guard refuses to start
      // it while this qemu exists).
      rules.log(true, "guest found with its process here but OFFLINE (" + now.reason() + ")");
      m.expected = Expect.ONLINE;
    } else if (m.expected == Expect.NONE) {
      m.expected = Expect.OFFLINE;
    }
    boolean lost =
        m.expected == Expect.ONLINE
            && !online
            && m.flag.isEmpty()
            && !(intentional && m.params.intentionalOffline());
    if (lost) {
      if (++m.tolerance > m.params.toleranceLimit()) {
        rules.log(true, "unexpected offline state=" + now);
        m.tolerance = 0;
        rules.cleanNow(CleanReason.UNEXPECTED_OFFLINE);
      }
    } else if (intentional && m.expected == Expect.ONLINE) {
      m.expected = Expect.OFFLINE; // migrated or saved on purpose: not ours to restart
    }
  }

  /**
   * After every monitor: a pending clean retry that the newest state makes moot is cancelled; one
   * whose time has come runs now, as automatic work of the intent it served (so every gate, and any
   * newer engine command, still applies to it).
   */
  private void checkRetry() {
    ResourceModel.Retry retry = m.retry;
    if (retry == null) {
      return;
    }
    Optional<String> moot = retryMoot(m, retry);
    if (moot.isPresent()) {
      rules.log(false, "clean retry cancelled: " + moot.get());
      m.retry = null;
      m.retryDue = false;
      rules.disarm(TimerKind.CLEAN_RETRY);
    } else if (m.retryDue) {
      m.retry = null;
      m.retryDue = false;
      rules.log(false, "retrying clean: " + ResourceRules.describe(retry.invocation()));
      m.queue.addFirst(new ResourceModel.Queued(retry.invocation(), 0, false, retry.intent()));
    }
  }

  /** Returns why a failed clean should no longer be retried, or empty if it still should. */
  static Optional<String> retryMoot(ResourceModel m, ResourceModel.Retry retry) {
    if (m.deleted || !m.enabled) {
      return Optional.of("the resource was deleted or disabled");
    }
    if (m.flag.isPresent()) {
      return Optional.of("the resource is " + m.flag.get());
    }
    if (retry.intent() != m.intent) {
      return Optional.of("the engine asked for something else since");
    }
    CleanReason why = retry.invocation().cleanReason().orElse(CleanReason.UNEXPECTED_OFFLINE);
    if (why == CleanReason.MONITOR_HUNG) {
      return m.lastMonitorTimedOut ? Optional.empty() : Optional.of("monitors answer again");
    }
    if (m.state == ResourceState.UNKNOWN) {
      return Optional.of("the resource is UNKNOWN (" + m.reason + ")");
    }
    boolean runs = m.state == ResourceState.ONLINE;
    if (retry.fromEngine() || stopping(retry.invocation())) {
      // OFFLINE with its process still here (paused on an I/O error) is not gone either.
      return runs || m.guestActive
          ? Optional.empty()
          : Optional.of("the guest no longer runs here");
    }
    if (m.guestActive) {
      return Optional.empty(); // OFFLINE, but its process is still here: the clean is still due
    }
    if (runs) {
      return Optional.of("the guest runs again");
    }
    return m.expected == Expect.ONLINE
        ? Optional.empty()
        : Optional.of("the guest is no longer expected online");
  }

  /** Whether a clean finishes an offline the engine asked for (reasons 0 and 1). */
  static boolean stopping(Invocation inv) {
    return inv.cleanReason()
        .filter(r -> r == CleanReason.OFFLINE_HUNG || r == CleanReason.OFFLINE_INEFFECTIVE)
        .isPresent();
  }

  private void fault(String why) {
    rules.log(true, "resource faulted why=" + why);
    m.flag = Optional.of(FrameworkState.FAULTED);
    m.phase = Phase.IDLE;
    m.expected = Expect.NONE;
    m.monitorWanted = true;
    m.retry = null;
    m.retryDue = false;
    rules.disarm(TimerKind.CLEAN_RETRY);
  }

  // ---- answers ----

  private void answer(Running r, EntryResult res) {
    m.callers.answer(r.id, res, rules.out);
  }

  private void settle() {
    m.callers.settle(guestAbsent, rules.out);
  }
}
