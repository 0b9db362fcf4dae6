package org.havirt.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of the framework rules (issue 13, point 13): thousands of random sequences of
 * engine commands, monitor results, entry point outcomes, timeouts, delete/disable and clock jumps
 * go through the pure {@link ResourceRules}, and invariants are checked after every step. A
 * violation names its seed and prints the events that led to it; the seeds are fixed, so a failure
 * reproduces.
 */
class ResourceRulesModelTest {
  static final int SEEDS = 400;
  static final int STEPS = 250;

  /** Where the VM really is, as the simulated backend reports it. */
  enum World {
    RUNNING_HERE,
    OFF,
    ELSEWHERE
  }

  /** One simulated resource, its world and its bookkeeping. */
  static final class Sim {
    final long seed;
    final Random rnd;
    final ResourceModel m;
    World world = World.OFF;
    long now = 1_000_000_000L;
    long nextCaller = 1;
    final Map<Long, Invocation> inFlight = new LinkedHashMap<>();
    final Set<Long> started = new HashSet<>();
    final Map<TimerKind, long[]> timers = new EnumMap<>(TimerKind.class); // token, due
    final Set<Long> waiting = new HashSet<>();
    final Set<Long> answered = new HashSet<>();
    final Deque<String> history = new ArrayDeque<>();
    boolean disabled;
    boolean deleted;

    /** The engine's last started command that changes the VM wanted it stopped here. */
    boolean engineStopped;

    boolean forgotten;

    Sim(long seed) {
      this.seed = seed;
      this.rnd = new Random(seed);
      this.m = new ResourceModel("r1", "KVMGuest", spec(rnd, true));
    }

    void fail(String invariant) {
      StringBuilder b = new StringBuilder();
      b.append("seed ").append(seed).append(": ").append(invariant).append('\n');
      history.forEach(h -> b.append("  ").append(h).append('\n'));
      throw new AssertionError(b.toString());
    }

    void step(Event e) {
      if (forgotten) {
        return; // the executor drops everything after Forget
      }
      history.add(e.toString());
      while (history.size() > 60) {
        history.poll();
      }
      ResourceState stateBefore = m.state;
      boolean timedOutBefore = m.lastMonitorTimedOut;
      List<Effect> effects = ResourceRules.apply(m, e, now, Instant.EPOCH);
      for (Effect f : effects) {
        history.add("    -> " + f);
        check(f, stateBefore, timedOutBefore);
      }
      // Liveness: a managed resource is never left with nothing running and nothing due.
      boolean watched =
          m.running != null
              || m.timers.containsKey(TimerKind.MONITOR)
              || m.monitorWanted
              || !m.enabled
              || m.deleted;
      if (!watched) {
        fail("nothing running and no monitor due: the resource is no longer watched");
      }
    }

    private void check(Effect f, ResourceState stateBefore, boolean timedOutBefore) {
      if (f instanceof Effect.Run run) {
        if (!inFlight.isEmpty()) {
          fail("an entry point started while another was in flight: " + inFlight);
        }
        EntryPoint ep = run.invocation().entryPoint();
        boolean acting = ResourceRules.changesVm(ep);
        if (acting && (deleted || disabled)) {
          fail(ep + " started after delete or disable");
        }
        if (deleted && ep != EntryPoint.CLOSE) {
          fail(ep + " started after delete");
        }
        boolean automatic = m.running != null && m.running.id == run.run() && !m.running.fromEngine;
        if (!automatic && acting | ep == EntryPoint.OFFLINE) {
          engineStopped = ep == EntryPoint.OFFLINE || ep == EntryPoint.CLEAN;
        }
        if (automatic && ep == EntryPoint.ONLINE && engineStopped) {
          fail("automatic online after the engine stopped the guest");
        }
        if (automatic && acting) {
          boolean monitorHung =
              run.invocation().cleanReason().filter(r -> r == CleanReason.MONITOR_HUNG).isPresent();
          if (m.state == ResourceState.UNKNOWN && !(monitorHung && m.lastMonitorTimedOut)) {
            fail("automatic " + run.invocation() + " while UNKNOWN");
          }
          if (ep == EntryPoint.ONLINE && m.state == ResourceState.INTENTIONAL_OFFLINE) {
            fail("automatic online while the guest is intentionally offline (maybe elsewhere)");
          }
          if (m.flag.isPresent()) {
            fail("automatic " + ep + " while " + m.flag.get());
          }
        }
        inFlight.put(run.run(), run.invocation());
      } else if (f instanceof Effect.Arm a) {
        timers.put(a.kind(), new long[] {a.token(), now + a.after().toNanos()});
      } else if (f instanceof Effect.Disarm d) {
        timers.remove(d.kind());
      } else if (f instanceof Effect.Answer a) {
        answer(a.caller());
      } else if (f instanceof Effect.Refuse r) {
        answer(r.caller());
      } else if (f instanceof Effect.Forget) {
        if (!deleted) {
          fail("forgotten without a delete");
        }
        forgotten = true;
      }
    }

    private void answer(long caller) {
      if (!answered.add(caller)) {
        fail("caller " + caller + " answered twice");
      }
      if (!waiting.remove(caller)) {
        fail("caller " + caller + " answered but never asked");
      }
    }

    long caller() {
      long id = nextCaller++;
      waiting.add(id);
      return id;
    }

    /** The outcome the simulated backend gives {@code inv}, moving the world as it would. */
    EntryResult outcome(Invocation inv, boolean healthy) {
      EntryPoint ep = inv.entryPoint();
      int dice = healthy ? 99 : rnd.nextInt(100);
      ExecStatus bad = dice < 8 ? ExecStatus.TIMED_OUT : ExecStatus.FAILED;
      boolean works = dice >= 15;
      switch (ep) {
        case MONITOR -> {
          if (!works) {
            return bad == ExecStatus.TIMED_OUT
                ? new EntryResult(
                    ep,
                    ExecStatus.TIMED_OUT,
                    Optional.of(MonitorResult.unknown("sim: timed out")),
                    0,
                    "sim: timed out",
                    "")
                : result(ep, MonitorResult.unknown("sim: libvirtd unreachable"));
          }
          return result(ep, observe());
        }
        case ONLINE -> {
          if (world == World.ELSEWHERE) {
            return new EntryResult(
                ep, ExecStatus.FAILED, Optional.empty(), 0, "sim: elsewhere", "");
          }
          if (works) {
            world = World.RUNNING_HERE;
            return new EntryResult(ep, ExecStatus.DONE, Optional.empty(), 5, "sim: started", "");
          }
          return new EntryResult(ep, bad, Optional.empty(), 0, "sim: start failed", "");
        }
        case OFFLINE, CLEAN -> {
          if (works && world == World.RUNNING_HERE) {
            world = World.OFF;
          }
          return works
              ? EntryResult.done(ep, "sim: stopped")
              : new EntryResult(ep, bad, Optional.empty(), 0, "sim: stop failed", "");
        }
        case MIGRATE -> {
          if (works && world == World.RUNNING_HERE) {
            world = World.ELSEWHERE;
            return EntryResult.done(ep, "sim: migrated");
          }
          return new EntryResult(ep, bad, Optional.empty(), 0, "sim: migration failed", "");
        }
        case OPEN, ATTR_CHANGED -> {
          return dice < 5
              ? new EntryResult(ep, ExecStatus.FAILED, Optional.empty(), 0, "sim: invalid", "")
              : EntryResult.done(ep, "sim: valid");
        }
        case ACTION, CLOSE -> {
          return EntryResult.done(ep, "sim: done");
        }
      }
      throw new AssertionError(ep);
    }

    MonitorResult observe() {
      return switch (world) {
        case RUNNING_HERE -> MonitorResult.online(100, "sim: running");
        case OFF -> MonitorResult.offline("sim: shut off");
        case ELSEWHERE -> MonitorResult.intentionalOffline("sim: runs on host h2");
      };
    }

    static EntryResult result(EntryPoint ep, MonitorResult r) {
      return new EntryResult(ep, ExecStatus.DONE, Optional.of(r), 0, r.reason(), "");
    }

    /** One random event. */
    void randomStep() {
      int dice = rnd.nextInt(100);
      if (dice < 25 && !inFlight.isEmpty()) {
        long run = inFlight.keySet().iterator().next();
        if (!started.contains(run)) {
          started.add(run);
          step(new Event.Started(run));
        } else {
          Invocation inv = inFlight.remove(run);
          started.remove(run);
          step(new Event.Finished(run, outcome(inv, false)));
        }
      } else if (dice < 40) {
        fireEarliestTimer();
      } else if (dice < 55) {
        step(new Event.Command(randomCommand(), caller()));
      } else if (dice < 65) {
        step(new Event.Hint());
      } else if (dice < 73) {
        // Faults of the world: crash, start or migration behind the agent's back.
        world = World.values()[rnd.nextInt(3)];
        step(new Event.Hint());
      } else if (dice < 78) {
        now += Duration.ofSeconds(rnd.nextInt(3600)).toNanos(); // a clock jump
        fireEarliestTimer();
      } else if (dice < 82) {
        boolean enable = disabled;
        GuestSpec s = spec(rnd, enable);
        disabled = !enable;
        step(new Event.Modify(s));
      } else if (dice < 84) {
        step(new Event.Modify(spec(rnd, !disabled)));
      } else if (dice < 85 && rnd.nextInt(4) == 0) {
        deleted = true;
        step(new Event.Delete(caller()));
      } else if (dice < 90) {
        step(new Event.Clear());
      } else if (!inFlight.isEmpty()) {
        long run = inFlight.keySet().iterator().next();
        if (started.add(run)) {
          step(new Event.Started(run));
        }
      } else {
        fireEarliestTimer();
      }
    }

    Invocation randomCommand() {
      return switch (rnd.nextInt(7)) {
        case 0, 1 -> Invocation.of(EntryPoint.ONLINE);
        case 2 -> Invocation.of(EntryPoint.OFFLINE);
        case 3 -> Invocation.clean(CleanReason.values()[rnd.nextInt(CleanReason.values().length)]);
        case 4 -> Invocation.migrate("node2");
        case 5 -> Invocation.of(EntryPoint.MONITOR);
        default -> Invocation.action("DevScan", List.of());
      };
    }

    void fireEarliestTimer() {
      Optional<Map.Entry<TimerKind, long[]>> next =
          timers.entrySet().stream().min((a, b) -> Long.compare(a.getValue()[1], b.getValue()[1]));
      if (next.isEmpty()) {
        return;
      }
      TimerKind kind = next.get().getKey();
      long[] t = timers.remove(kind);
      now = Math.max(now, t[1]);
      step(new Event.TimerFired(kind, t[0]));
    }

    /** Lets everything finish in a healthy world; afterwards every caller must have its answer. */
    void drain() {
      for (int i = 0; i < 400 && !forgotten; i++) {
        if (!inFlight.isEmpty()) {
          long run = inFlight.keySet().iterator().next();
          if (started.add(run)) {
            step(new Event.Started(run));
          }
          Invocation inv = inFlight.remove(run);
          started.remove(run);
          step(new Event.Finished(run, outcome(inv, true)));
        } else if (waiting.isEmpty() && i > 50) {
          return;
        } else {
          fireEarliestTimer();
        }
      }
    }
  }

  static GuestSpec spec(Random rnd, boolean enabled) {
    Map<String, AttributeValue> a = new HashMap<>();
    a.put("GuestName", new AttributeValue.Scalar("vm1"));
    String[][] values = {
      {"Enabled", enabled ? "1" : "0"},
      {"MonitorInterval", "60"},
      {"OfflineMonitorInterval", "300"},
      {"OnlineWaitLimit", String.valueOf(rnd.nextInt(3))},
      {"ToleranceLimit", String.valueOf(rnd.nextInt(2))},
      {"RestartLimit", String.valueOf(rnd.nextInt(3))},
      {"OnlineRetryLimit", String.valueOf(rnd.nextInt(2))},
      {"FaultOnMonitorTimeouts", String.valueOf(rnd.nextInt(4))},
      {"CleanRetryLimit", String.valueOf(rnd.nextInt(3))},
      {"IntentionalOffline", "1"},
      {"MonitorTimeout", "60"},
      {"OnlineTimeout", "300"},
      {"OfflineTimeout", "300"},
      {"CleanTimeout", "60"}
    };
    for (String[] kv : values) {
      a.put(kv[0], new AttributeValue.Scalar(kv[1]));
    }
    return new GuestSpec("r1", a);
  }

  @Test
  void randomSequencesKeepEveryInvariant() {
    int steps = 0;
    int answered = 0;
    for (long seed = 1; seed <= SEEDS; seed++) {
      Sim sim = new Sim(seed);
      sim.step(new Event.Open());
      for (int i = 0; i < STEPS && !sim.forgotten; i++) {
        sim.randomStep(); // once forgotten, the agent itself answers "no such resource"
        steps++;
      }
      sim.drain();
      if (!sim.waiting.isEmpty()) {
        sim.fail("callers never answered: " + sim.waiting);
      }
      answered += sim.answered.size();
    }
    assertThat(steps).as("most sequences run long before a delete").isGreaterThan(SEEDS * 50);
    assertThat(answered).as("the sequences exercised engine commands").isGreaterThan(SEEDS * 10);
  }

  /** The checker itself can fail: an entry point started while another is in flight is caught. */
  @Test
  void theCheckerCatchesAnOverlap() {
    Sim sim = new Sim(7);
    sim.inFlight.put(99L, Invocation.of(EntryPoint.MONITOR)); // as if one were running
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> sim.step(new Event.Open()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("seed 7: an entry point started while another was in flight");
  }
}
