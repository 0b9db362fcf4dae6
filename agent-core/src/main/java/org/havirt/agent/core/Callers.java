package org.havirt.agent.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;

/**
 * The callers of one resource's commands, waiting for their answer: right after the entry point,
 * after every monitor (monitor commands), or once the resource has settled (online, offline,
 * migrate). Every answer carries the entry point's own result next to the resource's state. Lives
 * on the {@link AgentLoop} thread only.
 */
final class Callers {
  /** A caller; {@code epResult} is its entry point's result once known. */
  private static final class Waiter {
    final Invocation invocation;
    final CompletableFuture<CommandReply> future;
    EntryResult epResult;

    Waiter(Invocation invocation, CompletableFuture<CommandReply> future) {
      this.invocation = invocation;
      this.future = future;
    }
  }

  private final List<Waiter> waiting = new ArrayList<>();

  /** {@code future} waits for the answer to {@code inv}. */
  void add(Invocation inv, CompletableFuture<CommandReply> future) {
    waiting.add(new Waiter(inv, future));
  }

  /** Keeps the entry point's result for the answer given once things settle. */
  void remember(Invocation inv, EntryResult r) {
    for (Waiter w : waiting) {
      if (w.invocation == inv) {
        w.epResult = r;
        return;
      }
    }
  }

  /** Answers the caller of {@code inv} now, with the entry point's own result. */
  void answer(Invocation inv, EntryResult r, ResourceStatus status) {
    waiting.removeIf(
        w -> {
          if (w.invocation != inv) {
            return false;
          }
          w.future.complete(new CommandReply(r.exec(), r.reason(), status, r.output()));
          return true;
        });
  }

  /** Answers the callers of monitor commands: every monitor is a fresh probe for them. */
  void answerMonitors(EntryResult r, ResourceStatus status) {
    waiting.removeIf(
        w -> {
          if (w.invocation.entryPoint() != EntryPoint.MONITOR) {
            return false;
          }
          w.future.complete(new CommandReply(r.exec(), r.reason(), status, ""));
          return true;
        });
  }

  /** Answers the callers whose entry point has finished, with the state it settled in. */
  void settle(ResourceStatus status) {
    waiting.removeIf(
        w -> {
          if (w.invocation.entryPoint() == EntryPoint.MONITOR || w.epResult == null) {
            return false;
          }
          w.future.complete(
              new CommandReply(
                  w.epResult.exec(), w.epResult.reason(), status, w.epResult.output()));
          return true;
        });
  }
}
