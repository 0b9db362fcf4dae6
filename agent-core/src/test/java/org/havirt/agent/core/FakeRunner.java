package org.havirt.agent.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.resource.EntryResult;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.backend.GuestSpec;

/**
 * A simulated VM behind the entry points: online starts it, offline and clean stop it, monitor
 * reports it. Knobs make each entry point fail, time out or hang. Records every call, and checks
 * that no two entry points of a resource ever overlap.
 */
final class FakeRunner implements EntryRunner {
  MonitorResult vm = MonitorResult.offline("fake: shut off");
  boolean onlineWorks = true;
  boolean offlineWorks = true;
  boolean cleanFails;
  boolean monitorTimesOut;
  boolean hang;
  boolean hangMonitors;
  EntryPoint hangOnly; // when set, only this entry point hangs
  String invalid; // when set, open and attr_changed fail validation with this reason
  boolean absent; // with invalid: the validation is certain the guest is not on this node
  int onlineWait = 5;

  /**
   * The guest is paused on an I/O error here: an OFFLINE monitor says its process is still on this
   * node; a shutdown cannot reach it, an online finds it "already running", only a clean ends it.
   */
  boolean pausedOnIoError;

  final List<Invocation> calls = new ArrayList<>();
  final List<CompletableFuture<EntryResult>> held = new ArrayList<>();
  private int inFlight;
  int maxInFlight;

  /** When set, entry points wait for a free worker: they begin only when {@link #begin} runs. */
  boolean workersBusy;

  private final List<Runnable> notStarted = new ArrayList<>();

  @Override
  public CompletableFuture<EntryResult> run(GuestSpec guest, Invocation inv, Runnable started) {
    if (workersBusy) {
      CompletableFuture<EntryResult> f = new CompletableFuture<>();
      notStarted.add(
          () -> {
            started.run();
            run(guest, inv).whenComplete((r, e) -> f.complete(r));
          });
      return f;
    }
    started.run();
    return run(guest, inv);
  }

  /** A worker becomes free: every waiting entry point begins, in order. */
  void begin() {
    workersBusy = false;
    List<Runnable> now = new ArrayList<>(notStarted);
    notStarted.clear();
    now.forEach(Runnable::run);
  }

  @Override
  public CompletableFuture<EntryResult> run(GuestSpec guest, Invocation inv) {
    calls.add(inv);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    CompletableFuture<EntryResult> f = new CompletableFuture<>();
    f.whenComplete((r, e) -> inFlight--);
    if (hang
        || (hangMonitors && inv.entryPoint() == EntryPoint.MONITOR)
        || inv.entryPoint() == hangOnly) {
      held.add(f);
      return f;
    }
    f.complete(result(inv));
    return f;
  }

  private EntryResult result(Invocation inv) {
    EntryPoint ep = inv.entryPoint();
    return switch (ep) {
      case MONITOR ->
          monitorTimesOut
              ? new EntryResult(
                  ep,
                  ExecStatus.TIMED_OUT,
                  Optional.of(MonitorResult.unknown("fake: timed out")),
                  0,
                  "fake: timed out",
                  "")
              : new EntryResult(
                  ep,
                  ExecStatus.DONE,
                  Optional.of(vm),
                  0,
                  vm.reason(),
                  "",
                  false,
                  pausedOnIoError && vm.state() == org.havirt.types.ResourceState.OFFLINE);
      case ONLINE -> {
        if (onlineWorks && !pausedOnIoError) {
          vm = MonitorResult.online(100, "fake: running");
        }
        yield new EntryResult(
            ep, ExecStatus.DONE, Optional.empty(), onlineWait, "fake: started", "");
      }
      case OFFLINE -> {
        if (offlineWorks && !pausedOnIoError) {
          vm = MonitorResult.offline("fake: shut off");
        }
        yield EntryResult.done(ep, "fake: shut down");
      }
      case CLEAN -> {
        if (cleanFails) {
          yield new EntryResult(
              ep, ExecStatus.FAILED, Optional.empty(), 0, "fake: destroy failed", "");
        }
        vm = MonitorResult.offline("fake: destroyed");
        pausedOnIoError = false;
        yield EntryResult.done(ep, "fake: destroyed");
      }
      case MIGRATE -> {
        vm = MonitorResult.intentionalOffline("fake: migrated away");
        yield EntryResult.done(ep, "fake: migrated");
      }
      case ACTION ->
          new EntryResult(
              ep,
              ExecStatus.DONE,
              Optional.empty(),
              0,
              "fake: action",
              "output of " + inv.action().orElse(""));
      case OPEN, ATTR_CHANGED ->
          invalid == null
              ? EntryResult.done(ep, "fake: valid")
              : new EntryResult(ep, ExecStatus.FAILED, Optional.empty(), 0, invalid, "", absent);
      case CLOSE -> EntryResult.done(ep, "fake");
    };
  }

  long count(EntryPoint ep) {
    return calls.stream().filter(i -> i.entryPoint() == ep).count();
  }

  List<String> cleanReasons() {
    return calls.stream()
        .filter(i -> i.entryPoint() == EntryPoint.CLEAN)
        .map(i -> i.cleanReason().orElseThrow().name())
        .toList();
  }
}
