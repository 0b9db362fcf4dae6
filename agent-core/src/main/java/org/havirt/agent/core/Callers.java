package org.havirt.agent.core;

import java.util.ArrayList;
import java.util.List;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;

/**
 * The callers of one resource's commands, waiting for their answer: right after the entry point,
 * after every monitor (monitor commands), or once the resource has settled (online, offline,
 * migrate). Every answer carries the entry point's own result next to the resource's state. Plain
 * data for {@link ResourceRules}: answering means adding an {@link Effect}. Not thread-safe.
 */
final class Callers {
  /** A caller of run {@code run}; {@code result} is its entry point's result once known. */
  private static final class Waiter {
    final long caller;
    final long run;
    final EntryPoint entryPoint;
    EntryResult result;

    Waiter(long caller, long run, EntryPoint entryPoint) {
      this.caller = caller;
      this.run = run;
      this.entryPoint = entryPoint;
    }
  }

  private final List<Waiter> waiting = new ArrayList<>();

  /** {@code caller} waits for the answer to run {@code run} of {@code ep}. */
  void add(long caller, long run, EntryPoint ep) {
    waiting.add(new Waiter(caller, run, ep));
  }

  /** Keeps the entry point's result for the answer given once things settle. */
  void remember(long run, EntryResult r) {
    for (Waiter w : waiting) {
      if (w.run == run) {
        w.result = r;
      }
    }
  }

  /** Answers the caller of run {@code run} now, with the entry point's own result. */
  void answer(long run, EntryResult r, List<Effect> out) {
    waiting.removeIf(
        w -> {
          if (w.run != run) {
            return false;
          }
          out.add(new Effect.Answer(w.caller, r.exec(), r.reason(), r.output(), r.guestAbsent()));
          return true;
        });
  }

  /**
   * Answers the callers of monitor commands: every monitor is a fresh probe for them. {@code
   * guestAbsent}: this round found the guest certainly not here (see {@link CommandReply}).
   */
  void answerMonitors(EntryResult r, boolean guestAbsent, List<Effect> out) {
    waiting.removeIf(
        w -> {
          if (w.entryPoint != EntryPoint.MONITOR) {
            return false;
          }
          out.add(new Effect.Answer(w.caller, r.exec(), r.reason(), "", guestAbsent));
          return true;
        });
  }

  /**
   * Answers the callers whose entry point has finished, with the state it settled in. {@code
   * guestAbsent}: the probe that settled them found the guest certainly not here.
   */
  void settle(boolean guestAbsent, List<Effect> out) {
    waiting.removeIf(
        w -> {
          if (w.entryPoint == EntryPoint.MONITOR || w.result == null) {
            return false;
          }
          out.add(
              new Effect.Answer(
                  w.caller, w.result.exec(), w.result.reason(), w.result.output(), guestAbsent));
          return true;
        });
  }

  /** Refuses every waiting caller (delete, disable): nobody is left without an answer. */
  void refuseAll(String code, String message, List<Effect> out) {
    for (Waiter w : waiting) {
      out.add(new Effect.Refuse(w.caller, code, message));
    }
    waiting.clear();
  }

  /** Returns the callers still waiting (for tests and invariants). */
  List<Long> waiting() {
    return waiting.stream().map(w -> w.caller).toList();
  }
}
