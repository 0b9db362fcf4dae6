package org.havirt.agent.cli;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * Sends sd_notify(3) messages (READY=1, WATCHDOG=1, STOPPING=1) to systemd's {@code
 * $NOTIFY_SOCKET}, from this process itself: an AF_UNIX datagram, the socket a path or, with a
 * leading {@code @}, an abstract name. Java has no datagram Unix sockets, so libc's socket/sendto
 * are called through JNA.
 *
 * <p>Why not {@code systemd-notify --ready --pid=...} (what the agent used before): systemd
 * attributes a datagram to a unit by its sender, resolved when it reads the message; a helper's
 * message is attributed only while the helper still lives, or if it forges the agent's pid in its
 * credentials (systemd-notify 252 does, as root, and still sends its BARRIER=1 as itself). It needs
 * {@code NotifyAccess=all}, which lets any process of the unit (crm_resource, ssh) speak for the
 * agent, and it would be one process per watchdog ping. Sent from the main pid, every message is
 * attributed, and the unit keeps {@code NotifyAccess=main}.
 *
 * <p>Thread-safe: each send opens, uses and closes its own socket.
 */
final class SystemdNotify {
  private static final int AF_UNIX = 1;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 02000000;
  private static final int MSG_NOSIGNAL = 0x4000;

  /** sizeof(sun_path) in struct sockaddr_un on Linux. */
  private static final int SUN_PATH = 108;

  /**
   * The libc calls used; errno arrives as LastErrorException. size_t and ssize_t are Java longs:
   * right on the 64-bit Linux hosts havirt supports (LP64), wrong on a 32-bit JVM.
   */
  interface C extends Library {
    int socket(int domain, int type, int protocol) throws LastErrorException;

    long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen)
        throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private static final class Libc {
    static final C C = Native.load("c", C.class);
  }

  private final String socket;
  private final byte[] address;

  private SystemdNotify(String socket, byte[] address) {
    this.socket = socket;
    this.address = address;
  }

  /**
   * Returns the notifier for {@code env}'s {@code NOTIFY_SOCKET}, or empty when systemd did not ask
   * for notifications (not run by systemd, or not {@code Type=notify}).
   *
   * @throws IllegalArgumentException if the socket's name cannot be a Unix socket address
   */
  static Optional<SystemdNotify> fromEnvironment(Map<String, String> env) {
    String s = env.get("NOTIFY_SOCKET");
    if (s == null || s.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new SystemdNotify(s, sockaddr(s)));
  }

  /** The struct sockaddr_un for {@code socket}; its length is the array's. */
  static byte[] sockaddr(String socket) {
    boolean abstractName = socket.startsWith("@");
    if (!abstractName && !socket.startsWith("/")) {
      throw new IllegalArgumentException(
          "NOTIFY_SOCKET is neither a path nor @abstract: " + socket);
    }
    byte[] name = socket.getBytes(StandardCharsets.UTF_8);
    // A path ends with a NUL; an abstract name starts with one (in place of the @) and has none.
    int pathLen = abstractName ? name.length : name.length + 1;
    if (pathLen > SUN_PATH) {
      throw new IllegalArgumentException("NOTIFY_SOCKET is too long: " + socket);
    }
    ByteBuffer b = ByteBuffer.allocate(2 + pathLen).order(ByteOrder.nativeOrder());
    b.putShort((short) AF_UNIX);
    if (abstractName) {
      b.put((byte) 0).put(name, 1, name.length - 1);
    } else {
      b.put(name).put((byte) 0);
    }
    return b.array();
  }

  /** Sends {@code state} (e.g. "READY=1"), or throws with the reason. */
  void send(String state) throws IOException {
    byte[] msg = state.getBytes(StandardCharsets.UTF_8);
    try {
      int fd = Libc.C.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      try {
        Libc.C.sendto(fd, msg, msg.length, MSG_NOSIGNAL, address, address.length);
      } finally {
        Libc.C.close(fd);
      }
    } catch (LastErrorException e) {
      throw new IOException(
          "cannot notify systemd on " + socket + ": " + state + ": " + e.getMessage(), e);
    } catch (LinkageError e) {
      // JNA's native part could not be loaded (say, its temporary directory is on a noexec
      // mount): a notification that cannot be sent is reported like any other failure, never an
      // error that ends the agent's start.
      throw new IOException(
          "cannot notify systemd on " + socket + ": " + state + ": JNA unavailable: " + e, e);
    }
  }

  /** Returns the socket's name as systemd gave it. */
  String socket() {
    return socket;
  }
}
