package org.havirt.agent.resource;

import java.util.Objects;
import java.util.Optional;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;

/**
 * The outcome of one entry point: whether it ran ({@link ExecStatus}) kept apart from the state the
 * resource is in (monitor only), with a short reason always.
 *
 * @param waitSeconds online/offline/migrate: seconds the framework should wait before monitoring
 * @param output an action's text for the caller; empty otherwise
 */
public record EntryResult(
    EntryPoint entryPoint,
    ExecStatus exec,
    Optional<MonitorResult> state,
    int waitSeconds,
    String reason,
    String output) {

  public EntryResult {
    Objects.requireNonNull(entryPoint, "entryPoint");
    Objects.requireNonNull(exec, "exec");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(output, "output");
  }

  public static EntryResult done(EntryPoint ep, String reason) {
    return new EntryResult(ep, ExecStatus.DONE, Optional.empty(), 0, reason, "");
  }

  public boolean isDone() {
    return exec == ExecStatus.DONE;
  }
}
