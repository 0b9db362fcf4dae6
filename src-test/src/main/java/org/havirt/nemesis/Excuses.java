package org.havirt.nemesis;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What explains a change the {@link Observer} sees: the faults injected and the excuses of engine
 * operations that are not entry points ({@link Injection}), and the engine requests sent ({@link
 * EngineOp}). Contract: a fault explains what it touched while it lasts and for a while after its
 * heal ({@link Injection#explains}); an engine request explains a change of its place while it runs
 * and shortly after its reply ({@link EngineOp#covers}); both are forgotten 60 s after they ended.
 *
 * <p>Thread-safe: faults and requests are added from the scheduler's, the engine's and the healers'
 * threads and read from the observer's; both lists are copy-on-write.
 */
final class Excuses {
  private final List<Injection> injections = new CopyOnWriteArrayList<>();
  private final List<EngineOp> ops = new CopyOnWriteArrayList<>();

  void add(Injection i) {
    injections.add(i);
  }

  void add(EngineOp op) {
    ops.add(op);
  }

  /** The faults and excuses still remembered (a live view). */
  List<Injection> injections() {
    return injections;
  }

  /** Whether a fault silenced that node's agent at {@code t}. */
  boolean agentOut(String node, Instant t) {
    for (Injection i : injections) {
      if (i.agentsOut.contains(node) && i.explains(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a fault took that node's hypervisor (its libvirtd, its RHEV-M view) away at {@code t}.
   */
  boolean hypervisorOut(String node, Instant t) {
    for (Injection i : injections) {
      if (i.hypervisorsOut.contains(node) && i.explains(t)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an engine command or a fault explains the guest of {@code p} stopping at {@code t}. */
  boolean stop(Place p, Instant t) {
    for (EngineOp o : ops) {
      if (o.mayStop(p) && o.covers(t)) {
        return true;
      }
    }
    for (Injection i : injections) {
      if (i.touches.contains(p) && i.explains(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a migration of the resource (the engine's or a fault's) is under way at {@code now}.
   */
  boolean migrating(String resource, Instant now) {
    boolean migrating = false;
    for (EngineOp o : ops) {
      migrating |= o.op.equals("migrate") && o.place.resource().equals(resource) && o.covers(now);
    }
    for (Injection i : injections) {
      migrating |=
          i.kind.contains("migrate")
              && i.explains(now)
              && i.touches.stream().anyMatch(p -> p.resource().equals(resource));
    }
    return migrating;
  }

  /** Forgets what ended more than 60 s before {@code now}. */
  void prune(Instant now) {
    ops.removeIf(o -> o.end() != null && o.end().isBefore(now.minusSeconds(60)));
    injections.removeIf(i -> i.healedAt() != null && i.healedAt().isBefore(now.minusSeconds(60)));
  }
}
