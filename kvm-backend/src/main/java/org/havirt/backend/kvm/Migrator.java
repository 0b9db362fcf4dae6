package org.havirt.backend.kvm;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.havirt.backend.kvm.internal.CallPool;
import org.havirt.backend.kvm.internal.LibvirtSession;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live migration to another hypervisor: persistent on the target, undefined here. The migration job
 * is aborted if it has not finished by the deadline (MigrateTimeout), leaving the guest running
 * here.
 */
final class Migrator {
  private static final Logger log = LoggerFactory.getLogger(Migrator.class);

  /** VIR_MIGRATE_LIVE | VIR_MIGRATE_PERSIST_DEST | VIR_MIGRATE_UNDEFINE_SOURCE. */
  private static final long FLAGS = 1 | 8 | 16;

  /** The part of MigrateTimeout kept for aborting the job and answering before the deadline. */
  private static final Duration ABORT_RESERVE = Duration.ofSeconds(5);

  private final KvmSettings settings;
  private final CallPool pool;
  private final LibvirtSession session;
  private final LibvirtBackend backend;

  Migrator(KvmSettings settings, CallPool pool, LibvirtSession session, LibvirtBackend backend) {
    this.settings = settings;
    this.pool = pool;
    this.session = session;
    this.backend = backend;
  }

  void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    String destUri;
    String dataUri;
    try {
      destUri = settings.hypervisorUri(target.hypervisor());
      dataUri = settings.dataUri(target.hypervisor()).orElse(null);
    } catch (IllegalArgumentException e) {
      throw new BackendException(
          BackendException.Kind.MISCONFIGURED, "migration target " + e.getMessage());
    }
    Connect dest =
        pool.run(
            "connect to " + destUri,
            deadline.atMost(Duration.ofSeconds(30)),
            () -> new Connect(destUri));
    // Calls that may still use dom or dest after our caller's deadline: the migration job and its
    // abort. Neither may be freed or closed under them (issue 13).
    List<Future<?>> users = new CopyOnWriteArrayList<>();
    try {
      // The domain holds its own reference on the connection, so it stays usable (and the
      // connection alive) until freed, even if the session replaces the connection meanwhile.
      Domain dom = session.call("look up " + name, deadline, c -> LibvirtBackend.lookup(c, name));
      if (dom == null) {
        throw new BackendException(
            BackendException.Kind.NOT_FOUND, "guest " + name + " is not defined on this host");
      }
      try {
        // Other hosts should find the newest definition even if the migration fails half-way.
        String xml =
            pool.run(
                "read config of " + name,
                deadline,
                () -> dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML));
        backend.files().writeBack(guest, xml, false);
        backend.migrationStarting(name);
        log.info("migration started guest={} target={} uri={}", name, target.system(), destUri);
        java.util.concurrent.atomic.AtomicBoolean withdrawn =
            new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean begun =
            new java.util.concurrent.atomic.AtomicBoolean();
        Future<Domain> job =
            pool.submit(
                "migrate " + name,
                () -> {
                  synchronized (begun) {
                    if (withdrawn.get()) {
                      return null; // withdrawn at the deadline before it began: nothing moved
                    }
                    begun.set(true);
                  }
                  return dom.migrate(dest, FLAGS, null, dataUri, 0);
                });
        users.add(job);
        Domain moved = await(name, job, deadline, dom, users, begun, withdrawn);
        LibvirtBackend.free(moved);
        session.noteMigratedAway(name);
        // The source definition is gone (UNDEFINE_SOURCE), and with it any claim we had on it.
        backend.files().forgetDefinition(name);
        log.info("migration done guest={} target={}", name, target.system());
      } finally {
        whenDone(users, () -> LibvirtBackend.free(dom));
      }
    } finally {
      if (users.stream().allMatch(Future::isDone)) {
        pool.run(
            "disconnect from " + destUri,
            Deadline.in(Duration.ofSeconds(5)),
            () -> {
              dest.close();
              return null;
            });
      } else {
        whenDone(users, () -> closeQuietly(dest));
      }
    }
  }

  /** Runs {@code cleanup} now if every call in {@code users} is done, else once they are. */
  private static void whenDone(List<Future<?>> users, Runnable cleanup) {
    if (users.stream().allMatch(Future::isDone)) {
      cleanup.run();
      return;
    }
    Thread t =
        new Thread(
            () -> {
              for (Future<?> f : users) {
                try {
                  f.get();
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                  // done either way
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return; // never free under a call we could not see finish
                }
              }
              cleanup.run();
            },
            "havirt-migrate-cleanup");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Connect c) {
    try {
      c.close();
    } catch (org.libvirt.LibvirtException e) {
      // already gone
    }
  }

  /**
   * Waits for the migration. It may use the budget less a reserve; then the job is aborted
   * (asynchronously: libvirt's abort blocks until the job winds down) and the caller gets its
   * answer by the deadline either way.
   */
  private Domain await(
      String name,
      Future<Domain> job,
      Deadline deadline,
      Domain dom,
      List<Future<?>> users,
      java.util.concurrent.atomic.AtomicBoolean begun,
      java.util.concurrent.atomic.AtomicBoolean withdrawn)
      throws BackendException {
    Duration budget = deadline.remaining();
    Duration reserve =
        budget.dividedBy(10).compareTo(ABORT_RESERVE) < 0 ? budget.dividedBy(10) : ABORT_RESERVE;
    try {
      return job.get(Math.max(1, budget.minus(reserve).toNanos()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      synchronized (begun) {
        if (!begun.get()) {
          // Still queued behind other libvirt calls: withdraw it, so it can never start after
          // the framework was told that the guest did not move.
          withdrawn.set(true);
          throw new BackendException(
              BackendException.Kind.TIMED_OUT,
              "migration of " + name + " never started (libvirt calls are backed up)");
        }
      }
      log.warn("migration timed out, aborting guest={}", name);
      try {
        users.add(pool.submit("abort migration of " + name, () -> dom.abortJob()));
      } catch (BackendException busy) {
        log.warn("migration abort could not be sent guest={} err={}", name, busy.getMessage());
      }
      try {
        // The job may still finish in the meantime: then the guest did move, and we say so.
        return job.get(Math.max(1, deadline.remaining().toNanos()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException aborted) {
        throw new BackendException(
            BackendException.Kind.TIMED_OUT,
            "migration of " + name + " did not finish within MigrateTimeout; the job was aborted");
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new BackendException(
            BackendException.Kind.TRANSIENT, "migration of " + name + " interrupted");
      }
    } catch (ExecutionException e) {
      throw CallPool.unwrap("migrate " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(
          BackendException.Kind.TRANSIENT, "migration of " + name + " interrupted");
    }
  }
}
