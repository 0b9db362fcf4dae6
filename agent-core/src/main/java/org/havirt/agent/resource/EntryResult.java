package org.havirt.agent.resource;

import java.util.Objects;
import java.util.Optional;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;

/**
 * The outcome of one entry point: whether it ran ({@link ExecStatus}) kept apart from the state the
 * resource is in (monitor only), with a short reason always.
 *
 * @param waitSeconds online/offline/migrate: seconds the framework should wait before monitoring
 * @param output an action's text for the caller; empty otherwise
 * @param guestAbsent open/attr_changed only: the validation failed, and only because the guest is
 *     certainly not on this node ({@link org.havirt.agent.verify.Verification#guestAbsent})
 * @param guestActive monitor only: the state is OFFLINE, yet the guest's process still exists on
 *     this node (paused on an I/O error with FailoverOnIOError = 1): not stopped, and nothing else
 *     can start it while it is there
 */
public record EntryResult(
    EntryPoint entryPoint,
    ExecStatus exec,
    Optional<MonitorResult> state,
    int waitSeconds,
    String reason,
    String output,
    boolean guestAbsent,
    boolean guestActive) {

  public EntryResult {
    Objects.requireNonNull(entryPoint, "entryPoint");
    Objects.requireNonNull(exec, "exec");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(output, "output");
    if (guestAbsent && exec != ExecStatus.FAILED) {
      throw new IllegalArgumentException("only a failed validation says the guest is absent");
    }
    if (guestActive
        && (entryPoint != EntryPoint.MONITOR
            || state.map(MonitorResult::state).orElse(null) != ResourceState.OFFLINE)) {
      throw new IllegalArgumentException("only an OFFLINE monitor says the guest is still active");
    }
  }

  public EntryResult(
      EntryPoint entryPoint,
      ExecStatus exec,
      Optional<MonitorResult> state,
      int waitSeconds,
      String reason,
      String output,
      boolean guestAbsent) {
    this(entryPoint, exec, state, waitSeconds, reason, output, guestAbsent, false);
  }

  public EntryResult(
      EntryPoint entryPoint,
      ExecStatus exec,
      Optional<MonitorResult> state,
      int waitSeconds,
      String reason,
      String output) {
    this(entryPoint, exec, state, waitSeconds, reason, output, false, false);
  }

  public static EntryResult done(EntryPoint ep, String reason) {
    return new EntryResult(ep, ExecStatus.DONE, Optional.empty(), 0, reason, "");
  }

  public boolean isDone() {
    return exec == ExecStatus.DONE;
  }
}
