package org.havirt.backend.kvm.internal;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

/**
 * Linux process file descriptors ({@code pidfd_open(2)}, Linux 5.3+) and the {@code poll(2)} that
 * waits on them: a pidfd becomes readable the moment its process exits, before anyone reaps it.
 * Stateless; safe from any thread.
 */
public final class Pidfds {
  /** pidfd_open's number in the generic syscall table, shared by x86_64 and aarch64. */
  private static final long SYS_PIDFD_OPEN = 434;

  private static final short POLLIN = 1;
  private static final int O_CLOEXEC = 02000000;
  private static final int O_NONBLOCK = 04000;

  interface C extends Library {
    // glibc's syscall(2) is variadic; its x86_64/aarch64 entry reads exactly these registers.
    long syscall(long number, long pid, int flags);

    int poll(Memory fds, long nfds, int timeoutMillis);

    int pipe2(int[] fds, int flags);

    long read(int fd, byte[] buf, long count);

    long write(int fd, byte[] buf, long count);

    int close(int fd);
  }

  private static final C LIBC = load();

  private Pidfds() {}

  private static C load() {
    String arch = System.getProperty("os.arch", "");
    if (!System.getProperty("os.name", "").equals("Linux")
        || !(arch.equals("amd64") || arch.equals("aarch64"))) {
      return null;
    }
    try {
      return Native.load("c", C.class);
    } catch (UnsatisfiedLinkError e) {
      return null;
    }
  }

  /** Returns why pidfds cannot be used here, or null when they can. */
  public static String unsupported() {
    if (LIBC == null) {
      return "pidfds need Linux on x86_64 or aarch64";
    }
    int fd = open(ProcessHandle.current().pid());
    if (fd < 0) {
      return "pidfd_open failed (errno " + (-fd) + "; Linux 5.3 or later is needed)";
    }
    close(fd);
    return null;
  }

  /** Opens a pidfd of process {@code pid}; returns it, or minus errno. */
  public static int open(long pid) {
    long fd = LIBC.syscall(SYS_PIDFD_OPEN, pid, 0);
    return fd < 0 ? -Native.getLastError() : (int) fd;
  }

  /**
   * Returns a close-on-exec, non-blocking pipe: {read end, write end}. A poke into a full pipe is
   * dropped instead of blocking: the reader is woken already.
   */
  public static int[] pipe() {
    int[] fds = new int[2];
    if (LIBC.pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw new IllegalStateException("pipe2 failed (errno " + Native.getLastError() + ")");
    }
    return fds;
  }

  /**
   * Waits until one of {@code fds} is readable; returns which are (true at their index). An
   * interrupted wait returns all false.
   */
  public static boolean[] pollReadable(int[] fds) {
    Memory m = new Memory(8L * fds.length); // struct pollfd { int fd; short events, revents; }
    for (int i = 0; i < fds.length; i++) {
      m.setInt(8L * i, fds[i]);
      m.setShort(8L * i + 4, POLLIN);
      m.setShort(8L * i + 6, (short) 0);
    }
    boolean[] ready = new boolean[fds.length];
    if (LIBC.poll(m, fds.length, -1) > 0) {
      for (int i = 0; i < fds.length; i++) {
        ready[i] = m.getShort(8L * i + 6) != 0;
      }
    }
    return ready;
  }

  /** Writes one byte (to wake a poller). */
  public static void poke(int fd) {
    LIBC.write(fd, new byte[] {1}, 1);
  }

  /** Reads and discards what is waiting in a non-blocking pipe. */
  public static void drain(int fd) {
    byte[] buf = new byte[4096];
    while (LIBC.read(fd, buf, buf.length) == buf.length) {
      // more may be waiting
    }
  }

  public static void close(int fd) {
    LIBC.close(fd);
  }
}
