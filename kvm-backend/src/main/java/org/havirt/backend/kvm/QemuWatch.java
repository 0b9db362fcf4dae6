package org.havirt.backend.kvm;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.havirt.backend.kvm.internal.Pidfds;
import org.havirt.backend.kvm.internal.QemuProcesses;
import org.havirt.types.Ticker;
import org.havirt.types.backend.VmEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the QEMU process of every guest seen running here through a pidfd, so a guest whose
 * emulator dies is known the moment it dies. libvirtd reports that later: after the monitor socket
 * closes it signals the process and re-checks every 200 ms until it is gone, zombie included
 * (virProcessKillPainfully), and a zombie lasts until the host's init reaps it.
 *
 * <p>The watch only ever answers "this guest's emulator has exited", which is certain: a pidfd
 * names one process and cannot be fooled by pid reuse. It says nothing when it cannot watch (remote
 * libvirt, no pidfds, no QEMU process found), and libvirt stays the truth for everything else.
 * Thread-safe; one thread waits on all pidfds.
 */
final class QemuWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QemuWatch.class);

  private final boolean enabled;
  private final String offReason;
  private final Path proc;
  private final VmEventListener listener;
  private final Ticker ticker;
  private final int[] wake;
  private final Thread thread;

  // guarded by this
  private final Map<String, Entry> guests = new HashMap<>();
  private final Map<String, String> wanted = new LinkedHashMap<>(); // guest -> UUID to look for
  private final List<Integer> toClose = new ArrayList<>(); // only the watch thread closes pidfds
  private boolean closed;

  /** One guest's emulator; pid -1 when none was found, fd -1 once exited or when not watched. */
  private static final class Entry {
    final String uuid;
    final long pid;
    int fd;
    boolean exited;
    long exitedAt;
    // Paused since watched: a save or a migration pauses the guest before its qemu exits, and
    // only libvirt can tell those (put away on purpose) from a crash.
    boolean paused;

    Entry(String uuid, long pid, int fd) {
      this.uuid = uuid;
      this.pid = pid;
      this.fd = fd;
    }
  }

  private QemuWatch(String offReason, Path proc, VmEventListener listener, Ticker ticker) {
    this.enabled = offReason == null;
    this.offReason = offReason;
    this.proc = proc;
    this.listener = listener;
    this.ticker = ticker;
    this.wake = enabled ? Pidfds.pipe() : null;
    this.thread = enabled ? new Thread(this::loop, "havirt-qemu-watch") : null;
    if (thread != null) {
      thread.setDaemon(true);
      thread.start();
    }
  }

  /**
   * A watch for the guests of {@code libvirtUri}: active only for a local QEMU driver where pidfds
   * work and {@code wanted}; otherwise one that never says anything.
   */
  static QemuWatch forUri(
      String libvirtUri, boolean wanted, Path proc, VmEventListener l, Ticker ticker) {
    String why = !wanted ? "switched off" : !isLocalQemu(libvirtUri) ? "not a local QEMU" : null;
    if (why == null) {
      why = Pidfds.unsupported();
    }
    if (why != null) {
      log.info("qemu watch off uri={} why={}", libvirtUri, why);
      return new QemuWatch(why, proc, l, ticker);
    }
    return new QemuWatch(null, proc, l, ticker);
  }

  static boolean isLocalQemu(String uri) {
    try {
      URI u = URI.create(uri);
      String scheme = u.getScheme() == null ? "" : u.getScheme();
      return (scheme.equals("qemu") || scheme.equals("qemu+unix"))
          && (u.getHost() == null || u.getHost().isEmpty());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  boolean enabled() {
    return enabled;
  }

  /** Whether the watch is on, and if not, why: for havirtverify. */
  String describe() {
    return enabled
        ? "on: each running guest's qemu process is watched, a dead one is seen at once"
        : "off (" + offReason + "): a dead qemu is seen when libvirt reports it";
  }

  /** libvirt says {@code guest} (UUID {@code uuid}) runs: watch its emulator if not yet. */
  synchronized void running(String guest, String uuid) {
    if (!enabled || closed) {
      return;
    }
    Entry e = guests.get(guest);
    if ((e != null && e.uuid.equals(uuid)) || uuid.equals(wanted.get(guest))) {
      return;
    }
    drop(guest);
    wanted.put(guest, uuid);
    Pidfds.poke(wake[1]);
  }

  /** libvirt says {@code guest} is not running (or not defined): forget its emulator. */
  synchronized void stopped(String guest) {
    if (enabled) {
      drop(guest);
      wanted.remove(guest);
    }
  }

  /** Returns the pid of {@code guest}'s emulator while it is watched and alive. */
  synchronized OptionalLong watching(String guest) {
    Entry e = guests.get(guest);
    return e != null && e.fd >= 0 ? OptionalLong.of(e.pid) : OptionalLong.empty();
  }

  /** libvirt paused {@code guest} (or the agent migrates it): its exit may be on purpose. */
  synchronized void paused(String guest) {
    Entry e = guests.get(guest);
    if (e != null) {
      e.paused = true;
    }
  }

  /** Returns the pid of {@code guest}'s watched emulator if it has exited. */
  synchronized OptionalLong exited(String guest) {
    Entry e = guests.get(guest);
    return e != null && e.exited ? OptionalLong.of(e.pid) : OptionalLong.empty();
  }

  /**
   * Returns the pid of {@code guest}'s emulator if it exited less than {@code within} ago while the
   * guest was running and never paused: a crash, a kill or a power-off, never a save or a
   * migration. libvirt will say "shut off" for it once it has cleaned up.
   */
  synchronized OptionalLong exitedWhileRunning(String guest, Duration within) {
    Entry e = guests.get(guest);
    return e != null && e.exited && !e.paused && ticker.nanoTime() - e.exitedAt < within.toNanos()
        ? OptionalLong.of(e.pid)
        : OptionalLong.empty();
  }

  /**
   * After {@link #exited}: whether another emulator of the same guest runs now (it was restarted
   * before anyone looked). If so, that one is watched from now on.
   */
  boolean successorRunning(String guest) {
    String uuid;
    synchronized (this) {
      Entry e = guests.get(guest);
      if (e == null) {
        return false;
      }
      uuid = e.uuid;
    }
    if (!QemuProcesses.byUuid(proc).containsKey(uuid)) {
      return false;
    }
    synchronized (this) {
      drop(guest);
      wanted.put(guest, uuid);
      Pidfds.poke(wake[1]);
    }
    return true;
  }

  private void drop(String guest) {
    Entry e = guests.remove(guest);
    if (e != null && e.fd >= 0) {
      toClose.add(e.fd);
      Pidfds.poke(wake[1]);
    }
  }

  private void loop() {
    while (true) {
      Map<String, String> find;
      synchronized (this) {
        toClose.forEach(Pidfds::close);
        toClose.clear();
        if (closed) {
          guests.values().stream().filter(e -> e.fd >= 0).forEach(e -> Pidfds.close(e.fd));
          Pidfds.close(wake[0]);
          Pidfds.close(wake[1]);
          return;
        }
        find = new LinkedHashMap<>(wanted);
        wanted.clear();
      }
      if (!find.isEmpty()) {
        watch(find);
      }
      List<String> owners = new ArrayList<>();
      int[] fds;
      synchronized (this) {
        List<Integer> f = new ArrayList<>(List.of(wake[0]));
        owners.add(null);
        guests.forEach(
            (g, e) -> {
              if (e.fd >= 0) {
                f.add(e.fd);
                owners.add(g);
              }
            });
        fds = f.stream().mapToInt(Integer::intValue).toArray();
      }
      boolean[] ready = Pidfds.pollReadable(fds);
      if (ready[0]) {
        Pidfds.drain(wake[0]);
      }
      for (int i = 1; i < fds.length; i++) {
        if (ready[i]) {
          exitedNow(owners.get(i), fds[i]);
        }
      }
    }
  }

  /** Finds the emulators of {@code find} (guest -> UUID) in one pass over /proc, and opens them. */
  private void watch(Map<String, String> find) {
    Map<String, Long> found = QemuProcesses.byUuid(proc);
    for (Map.Entry<String, String> w : find.entrySet()) {
      String uuid = w.getValue();
      Long pid = found.get(uuid);
      int fd = pid == null ? -1 : Pidfds.open(pid);
      // The pid may have been reused between the scan and the open: check the process again.
      if (fd >= 0 && !QemuProcesses.runs(proc, pid, uuid)) {
        Pidfds.close(fd);
        fd = -1;
      }
      synchronized (this) {
        if (closed || wanted.containsKey(w.getKey()) || guests.containsKey(w.getKey())) {
          if (fd >= 0) {
            Pidfds.close(fd); // asked again meanwhile: the newer request wins
          }
          continue;
        }
        guests.put(w.getKey(), new Entry(uuid, fd >= 0 ? pid : -1, Math.max(fd, -1)));
      }
      log.debug("qemu watch guest={} pid={}", w.getKey(), fd >= 0 ? pid : "none");
    }
  }

  private void exitedNow(String guest, int fd) {
    long pid;
    synchronized (this) {
      Entry e = guests.get(guest);
      if (e == null || e.fd != fd) {
        return; // dropped meanwhile
      }
      e.exited = true;
      e.exitedAt = ticker.nanoTime();
      e.fd = -1;
      toClose.add(fd);
      pid = e.pid;
    }
    log.info("qemu process exited guest={} pid={}", guest, pid);
    listener.onVmEvent(guest, "qemu process " + pid + " exited");
  }

  @Override
  public void close() {
    if (!enabled) {
      return;
    }
    synchronized (this) {
      closed = true;
      Pidfds.poke(wake[1]);
    }
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
