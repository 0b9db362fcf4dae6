package org.havirt.agent.resource;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.havirt.types.CleanReason;
import org.havirt.types.Deadline;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.state.StatePolicy;
import org.havirt.types.state.VmState;
import org.havirt.types.state.VmStateTable;
import org.havirt.types.state.VmStatus;

/**
 * The KVMGuest entry points on top of a backend (spec §3). Methods never throw: every failure,
 * including a hung backend, becomes an {@link EntryResult} with a reason. A monitor that cannot
 * tell reports UNKNOWN, never OFFLINE. Thread-safe; the caller runs one entry point per resource at
 * a time.
 */
public final class ResourceAgent {
  /** VCS truncates action output to this many bytes. */
  static final int MAX_ACTION_OUTPUT = 2048;

  private final VmBackend backend;
  private final Ticker ticker;

  public ResourceAgent(VmBackend backend, Ticker ticker) {
    this.backend = backend;
    this.ticker = ticker;
  }

  public VmBackend backend() {
    return backend;
  }

  /** Returns the timeout of {@code ep} for {@code guest}: its framework attribute, else 60 s. */
  public static Duration timeout(GuestSpec guest, EntryPoint ep) {
    return Duration.ofSeconds(Math.max(1, guest.integer(ep.timeoutAttribute()).orElse(60)));
  }

  private Deadline deadline(GuestSpec guest, EntryPoint ep) {
    return Deadline.in(timeout(guest, ep), ticker);
  }

  /**
   * How long a timed-out monitor may wait for the backend to say whether its control connection
   * explains the timeout: within the framework's extra grace for monitors (3 s).
   */
  static final Duration TROUBLE_CHECK = Duration.ofMillis(1500);

  /** Reports the VM's state; never changes anything. */
  public EntryResult monitor(GuestSpec guest) {
    long began = ticker.nanoTime();
    try {
      VmStatus status = backend.inspect(guest, deadline(guest, EntryPoint.MONITOR));
      StatePolicy policy = new StatePolicy(guest.bool("FailoverOnIOError", true));
      MonitorResult r = VmStateTable.toMonitorResult(backend.name(), status, policy);
      boolean stillActive = r.state() == ResourceState.OFFLINE && processExists(status.state());
      return new EntryResult(
          EntryPoint.MONITOR,
          ExecStatus.DONE,
          Optional.of(r),
          0,
          stillActive ? r.reason() + "; its process is still on this node" : r.reason(),
          "",
          false,
          stillActive);
    } catch (BackendException e) {
      // Whatever went wrong, we could not look: UNKNOWN, which nobody acts on.
      String why = backend.name() + ": " + e.getMessage();
      ExecStatus exec = ExecStatus.DONE;
      if (e.kind() == BackendException.Kind.TIMED_OUT) {
        // A timeout counts toward FaultOnMonitorTimeouts only when the control connection was
        // healthy all along: a hung libvirtd or RHEV-M says nothing about the VM (spec §6).
        Duration window = Duration.ofNanos(ticker.nanoTime() - began).plusSeconds(1);
        Optional<String> trouble =
            backend.controlTrouble(guest, window, Deadline.in(TROUBLE_CHECK, ticker));
        if (trouble.isPresent()) {
          why += " (not counted as a monitor timeout: " + trouble.get() + ")";
        } else {
          exec = ExecStatus.TIMED_OUT;
        }
      }
      MonitorResult r = MonitorResult.unknown(why);
      return new EntryResult(EntryPoint.MONITOR, exec, Optional.of(r), 0, r.reason(), "");
    }
  }

  /**
   * Whether a VM in state {@code s} still has its process (a qemu) on this node: OFFLINE with such
   * a process is not stopped, and blocks a start anywhere else (spec §6, split-brain guard).
   */
  static boolean processExists(VmState s) {
    return switch (s) {
        // Running or on its way up or down: a process holds the guest.
      case RUNNING, LAUNCHING, POWERING_UP, RESTORING, POWERING_DOWN -> true;
        // Paused, by someone or by a failed disk write: the process is there, frozen.
      case PAUSED, PAUSED_IO_ERROR -> true;
        // Leaving, or rebooting under the manager: still here while it lasts.
      case MIGRATING, REBOOTING -> true;
        // Off, crashed (its process gone), or never here.
      case DOWN, CRASHED, NOT_DEFINED -> false;
        // Saved, gone by migration, or on another host: no process here.
      case SUSPENDED, MIGRATED_AWAY, RUNNING_ELSEWHERE -> false;
        // Nobody can tell: never claimed present (nothing acts on UNKNOWN anyway).
      case LOCKED, UNKNOWN -> false;
    };
  }

  /** Starts the VM here; asks the framework to wait DelayAfterGuestOnline before monitoring. */
  public EntryResult online(GuestSpec guest) {
    int wait = (int) Math.max(0, guest.integer("DelayAfterGuestOnline").orElse(5));
    try {
      backend.start(guest, deadline(guest, EntryPoint.ONLINE));
      return new EntryResult(
          EntryPoint.ONLINE,
          ExecStatus.DONE,
          Optional.empty(),
          wait,
          "guest " + guest.guestName() + " started (or already running)",
          "");
    } catch (BackendException e) {
      return failed(EntryPoint.ONLINE, e);
    }
  }

  /** Shuts the VM down gracefully, waiting up to DelayAfterGuestOffline, then syncs its config. */
  public EntryResult offline(GuestSpec guest) {
    try {
      backend.shutdown(guest, deadline(guest, EntryPoint.OFFLINE));
      return EntryResult.done(
          EntryPoint.OFFLINE, "guest " + guest.guestName() + " shut down (or already off)");
    } catch (BackendException e) {
      return failed(EntryPoint.OFFLINE, e);
    }
  }

  /** Forcibly stops the VM. */
  public EntryResult clean(GuestSpec guest, CleanReason reason) {
    try {
      backend.destroy(guest, deadline(guest, EntryPoint.CLEAN));
      return EntryResult.done(
          EntryPoint.CLEAN,
          "guest " + guest.guestName() + " destroyed (" + reason.description() + ")");
    } catch (BackendException e) {
      return failed(EntryPoint.CLEAN, e);
    }
  }

  /** Live-migrates the VM to {@code target}, bounded by MigrateTimeout. */
  public EntryResult migrate(GuestSpec guest, MigrationTarget target) {
    try {
      backend.migrate(guest, target, deadline(guest, EntryPoint.MIGRATE));
      return EntryResult.done(
          EntryPoint.MIGRATE, "guest " + guest.guestName() + " migrated to " + target.system());
    } catch (BackendException e) {
      return failed(EntryPoint.MIGRATE, e);
    }
  }

  /** Runs a SupportedActions action. */
  public EntryResult action(GuestSpec guest, String name, List<String> args) {
    try {
      ActionOutput out = backend.action(guest, name, args, deadline(guest, EntryPoint.ACTION));
      String text = truncate(out.output());
      return new EntryResult(
          EntryPoint.ACTION,
          out.success() ? ExecStatus.DONE : ExecStatus.FAILED,
          Optional.empty(),
          0,
          "action " + name + (out.success() ? " succeeded" : " failed"),
          text);
    } catch (BackendException e) {
      return failed(EntryPoint.ACTION, e);
    }
  }

  private EntryResult failed(EntryPoint ep, BackendException e) {
    ExecStatus exec =
        switch (e.kind()) {
          case TIMED_OUT -> ExecStatus.TIMED_OUT;
          case UNSUPPORTED -> ExecStatus.UNSUPPORTED;
          case NOT_FOUND, TRANSIENT, MISCONFIGURED, NOT_INSTALLED, PERMISSION, FAILED ->
              ExecStatus.FAILED;
        };
    return new EntryResult(
        ep, exec, Optional.empty(), 0, backend.name() + ": " + e.getMessage(), "");
  }

  static String truncate(String s) {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (b.length <= MAX_ACTION_OUTPUT) {
      return s;
    }
    return new String(b, 0, MAX_ACTION_OUTPUT, java.nio.charset.StandardCharsets.UTF_8);
  }
}
