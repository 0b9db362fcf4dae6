package org.havirt.backend.kvm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.havirt.backend.kvm.internal.CallPool;
import org.havirt.backend.kvm.internal.GuestFiles;
import org.havirt.backend.kvm.internal.LibvirtSession;
import org.havirt.backend.kvm.internal.NativeCalls;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmEventListener;
import org.havirt.types.state.LibvirtStateTable;
import org.havirt.types.state.VmState;
import org.havirt.types.state.VmStatus;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KVM backend: libvirt through libvirt-java, plus our own JNA binding for the calls it lacks.
 * Every call runs on a bounded pool with the caller's deadline; lifecycle and I/O-error events are
 * passed on as hints; the connection reconnects by itself. Thread-safe.
 */
public final class LibvirtBackend implements VmBackend {
  private static final Logger log = LoggerFactory.getLogger(LibvirtBackend.class);

  /** VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE: the persistent config, complete. */
  static final int PERSISTENT_XML = 2 | 1;

  /** libvirt's VIR_DOMAIN_RUNNING. */
  private static final int VIR_DOMAIN_RUNNING = 1;

  private final KvmSettings settings;
  private final Ticker ticker;
  private final CallPool pool;
  private final LibvirtSession session;
  private final GuestFiles files;
  private final PeerGuard peers;
  private final DrMedia drMedia;
  private final Migrator migrator;
  private final GuestActions actions;
  private final KvmChecks checks;
  private final QemuWatch qemuWatch;
  private final GuestStopper stopper;
  private final List<VmEventListener> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Object> waiters = new ConcurrentHashMap<>();
  private final Map<String, Integer> syncedXmlHash = new ConcurrentHashMap<>();

  public LibvirtBackend(KvmSettings settings, Ticker ticker) {
    this.settings = settings;
    this.ticker = ticker;
    this.pool = new CallPool(settings.callThreads());
    this.session = new LibvirtSession(settings.uri(), pool, ticker, this::dispatch);
    this.files = new GuestFiles(settings.stateDir());
    this.peers = new PeerGuard(settings, pool);
    this.drMedia = new DrMedia(settings.stateDir(), java.time.Clock.systemUTC());
    this.migrator = new Migrator(settings, pool, session, this);
    this.actions = new GuestActions(this);
    this.checks = new KvmChecks(this, actions, settings);
    this.qemuWatch =
        QemuWatch.forUri(
            settings.uri(), settings.watchQemu(), Path.of("/proc"), this::dispatch, ticker);
    this.stopper = new GuestStopper(this, pool, files, qemuWatch);
  }

  @Override
  public String name() {
    return "libvirt";
  }

  private void dispatch(String guest, String detail) {
    if (guest != null && detail.startsWith("SUSPENDED")) {
      qemuWatch.paused(guest);
    } else if (guest != null && detail.startsWith("STOPPED")) {
      qemuWatch.stopped(guest); // libvirt has caught up; it is the truth again
    }
    if (guest != null) {
      Object w = waiters.get(guest);
      if (w != null) {
        synchronized (w) {
          w.notifyAll();
        }
      }
    }
    for (VmEventListener l : listeners) {
      l.onVmEvent(guest, detail);
    }
  }

  @Override
  public AutoCloseable subscribe(VmEventListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Opens the connection now (it opens lazily otherwise), so events flow from the start. */
  public void connect(Deadline deadline) throws BackendException {
    session.ensureConnected(deadline);
  }

  /**
   * Runs {@code call} with the connection on the call pool, by {@code deadline}. Every libvirt
   * object a call looks up is freed inside the same call: none is kept between calls, so none can
   * be freed twice or used after another thread freed it (issue 13: the cached handles of {@link
   * #inspect} were, and crashed the JVM).
   */
  <T> T call(String what, Deadline deadline, LibvirtSession.ConnCall<T> call)
      throws BackendException {
    return session.call(what, deadline, call);
  }

  /** A call that changes a guest: never abandoned at its deadline (see LibvirtSession.act). */
  <T> T act(String what, Deadline deadline, LibvirtSession.ConnCall<T> call)
      throws BackendException {
    return session.act(what, deadline, call);
  }

  /**
   * Returns the pid of the qemu process of {@code guest} that the agent watches, if any: a guest
   * seen running on a local QEMU driver is watched from its first monitor on.
   */
  public OptionalLong watchedQemu(String guest) {
    return qemuWatch.watching(guest);
  }

  String qemuWatchState() {
    return qemuWatch.describe();
  }

  /** The guest's qemu will exit on purpose once it runs on the target: not a crash. */
  void migrationStarting(String guest) {
    qemuWatch.paused(guest);
  }

  CallPool pool() {
    return pool;
  }

  GuestFiles files() {
    return files;
  }

  /** Returns the domain, or null if it is not defined here. Caller frees it. */
  static Domain lookup(Connect c, String name) throws LibvirtException {
    try {
      return c.domainLookupByName(name);
    } catch (LibvirtException e) {
      if (e.getError() != null && e.getError().getCode() == ErrorNumber.VIR_ERR_NO_DOMAIN) {
        return null;
      }
      throw e;
    }
  }

  static void free(Domain d) {
    if (d != null) {
      try {
        d.free();
      } catch (LibvirtException e) {
        // freeing a handle cannot fail in a way we can act on
      }
    }
  }

  @Override
  public VmStatus inspect(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    OptionalLong dead = qemuWatch.exitedWhileRunning(name, GuestStopper.LIBVIRT_CATCH_UP);
    if (dead.isPresent() && !qemuWatch.successorRunning(name)) {
      // Certain, and ahead of libvirt: it holds the domain until its cleanup after the process is
      // done, and asking it now would wait for that.
      return VmStatus.of(
          VmState.DOWN, "qemu process " + dead.getAsLong() + " exited (libvirt has yet to notice)");
    }
    return session.call(
        "inspect " + name,
        deadline,
        c -> {
          // Looked up afresh by every monitor and freed before the call ends: one owner.
          Domain dom = lookup(c, name);
          if (dom == null) {
            qemuWatch.stopped(name);
            return session.migratedAway(name)
                ? VmStatus.of(VmState.MIGRATED_AWAY, "not defined (migrated away)")
                : VmStatus.of(VmState.NOT_DEFINED, "not defined on this host");
          }
          try {
            int[] st = NativeCalls.state(dom);
            VmStatus status = LibvirtStateTable.classify(st[0], st[1]);
            if (st[0] == VIR_DOMAIN_RUNNING) {
              qemuWatch.running(name, dom.getUUIDString());
            } else if (!PeerGuard.isActive(st[0])) {
              qemuWatch.stopped(name);
            }
            if (guest.bool("ResyncVMCfg", false) && PeerGuard.isActive(st[0])) {
              resync(guest, dom);
            }
            return status;
          } finally {
            free(dom);
          }
        });
  }

  /**
   * ResyncVMCfg: writes the persistent XML back whenever it changed since the last attempt, under
   * the forward-only rule (a shared file changed by others meanwhile is left alone and logged).
   */
  private void resync(GuestSpec guest, Domain dom) throws LibvirtException {
    String xml = dom.getXMLDesc(PERSISTENT_XML);
    Integer last = syncedXmlHash.put(guest.guestName(), xml.hashCode());
    if (last == null || last != xml.hashCode()) {
      try {
        files.ranHere(guest); // active here: what this node runs
        List<java.nio.file.Path> written = files.writeBack(guest, xml, false).written();
        if (!written.isEmpty()) {
          log.info("guest config resynced guest={} files={}", guest.guestName(), written);
        }
      } catch (BackendException e) {
        syncedXmlHash.remove(guest.guestName());
        log.warn("guest config resync failed guest={} err={}", guest.guestName(), e.getMessage());
      }
    }
  }

  @Override
  public void start(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    int[] here =
        session.call(
            "inspect " + name,
            deadline,
            c -> {
              Domain dom = lookup(c, name);
              try {
                return dom == null ? null : NativeCalls.state(dom);
              } finally {
                free(dom);
              }
            });
    if (here != null && PeerGuard.isActive(here[0])) {
      if (qemuWatch.exited(name).isEmpty() || qemuWatch.successorRunning(name)) {
        return; // already running here: online is idempotent
      }
      // Its emulator is gone but libvirt has not caught up: a create now would be refused.
      if (!waitUntilInactive(name, deadline)) {
        throw new BackendException(
            BackendException.Kind.TIMED_OUT,
            "guest " + name + "'s qemu process exited but libvirt still reports it running");
      }
    }
    DrMedia.network(guest); // unusable DROpts fail before anything changes
    peers.check(guest, deadline);
    session.act(
        "start " + name,
        deadline,
        c -> {
          Domain dom = lookup(c, name);
          try {
            if (dom == null) {
              dom = StartDefinition.define(c, guest, files);
            } else if (!PeerGuard.isActive(NativeCalls.state(dom)[0])) {
              StartDefinition.refresh(c, dom, guest, files);
            }
            if (!PeerGuard.isActive(NativeCalls.state(dom)[0])) {
              Domain toStart = drMedia.prepare(c, dom, guest);
              try {
                toStart.create();
              } finally {
                if (toStart != dom) {
                  free(toStart);
                }
              }
              // Only a guest that really started here counts as run here (a failed create must
              // not let this node's definition over the shared file). The call is never
              // abandoned (act), so a create past its deadline still gets here.
              files.ranHere(guest);
            }
            session.forgetMigration(name);
            return null;
          } finally {
            free(dom);
          }
        });
  }

  @Override
  public void shutdown(GuestSpec guest, Deadline deadline) throws BackendException {
    stopper.shutdown(guest, deadline);
  }

  @Override
  public void destroy(GuestSpec guest, Deadline deadline) throws BackendException {
    stopper.destroy(guest, deadline);
  }

  /** The least time a look at a guest that is being waited for is given to answer. */
  static final Duration INSPECT_BUDGET = Duration.ofSeconds(5);

  /** Waits for {@code name} to stop: woken by events, re-checked every second as the safety net. */
  boolean waitUntilInactive(String name, Deadline until) throws BackendException {
    Object w = waiters.computeIfAbsent(name, k -> new Object());
    while (true) {
      boolean active =
          session.call(
              "inspect " + name,
              // A look whose wait is over, or nearly over, still gets its own time to answer: a
              // look sent with the few nanoseconds left was reported as libvirt timing out (or
              // backed up) while the guest merely still ran (nemesis; WaitUntilInactiveTest).
              until.remaining().compareTo(INSPECT_BUDGET) < 0
                  ? Deadline.in(INSPECT_BUDGET, ticker)
                  : until,
              c -> {
                Domain dom = lookup(c, name);
                try {
                  return dom != null && PeerGuard.isActive(NativeCalls.state(dom)[0]);
                } finally {
                  free(dom);
                }
              });
      if (!active) {
        return true;
      }
      if (until.isExpired()) {
        return false;
      }
      synchronized (w) {
        try {
          w.wait(Math.max(1, Math.min(1000, until.remaining().toMillis())));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }

  @Override
  public void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline)
      throws BackendException {
    migrator.migrate(guest, target, deadline);
  }

  @Override
  public ActionOutput action(GuestSpec guest, String action, List<String> args, Deadline deadline)
      throws BackendException {
    return actions.run(guest, action, args, deadline);
  }

  @Override
  public List<org.havirt.types.backend.Check> verify(GuestSpec guest, Deadline deadline) {
    return checks.verify(guest, deadline);
  }

  /**
   * Answers from the session's liveness record: the connection down, or a liveness probe (a cheap
   * RPC every 250 ms on a thread of its own) unanswered for over 500 ms, at any time during {@code
   * window}; otherwise waits for a probe started after this call and answers "healthy" only if it
   * answered in time. One libvirtd serves every guest here, so {@code guest} does not matter.
   */
  @Override
  public Optional<String> controlTrouble(GuestSpec guest, Duration window, Deadline deadline) {
    return session.trouble(window, deadline);
  }

  /**
   * Closes the connection after the calls in flight on it have returned (bounded: a call stuck in
   * libvirt keeps its connection open rather than have it freed under it), the kept peer
   * connections likewise, then the pool.
   */
  @Override
  public void close() {
    qemuWatch.close();
    peers.close();
    session.close();
    pool.close();
  }
}
