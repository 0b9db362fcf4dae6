package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;

/**
 * The Unix socket a libvirt URI connects through, watched so that a libvirtd coming back (its
 * socket reappearing or being recreated) triggers a reconnect at once instead of at the end of a
 * backoff. Remote URIs (tcp, tls, ssh) and daemon-less local drivers have no socket to watch.
 * Thread-safe (immutable).
 */
final class SocketWatch {
  private static final Path SYSTEM_SOCKET = Path.of("/run/libvirt/libvirt-sock");
  private final Optional<Path> socket;

  private SocketWatch(Optional<Path> socket) {
    this.socket = socket;
  }

  static SocketWatch forUri(String uri) {
    return new SocketWatch(socketOf(uri));
  }

  /** The socket of {@code uri}: its {@code socket=} parameter, else the system daemon's. */
  static Optional<Path> socketOf(String uri) {
    URI u;
    try {
      u = new URI(uri);
    } catch (java.net.URISyntaxException e) {
      return Optional.empty();
    }
    String query = u.getRawQuery();
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith("socket=")) {
          return Optional.of(Path.of(URLDecoder.decode(kv.substring(7), StandardCharsets.UTF_8)));
        }
      }
    }
    String scheme = Objects.requireNonNullElse(u.getScheme(), "");
    boolean local = u.getHost() == null || u.getHost().isEmpty();
    if (scheme.endsWith("+unix") || (local && !scheme.contains("+") && !scheme.equals("test"))) {
      return Optional.of(SYSTEM_SOCKET);
    }
    return Optional.empty();
  }

  Optional<Path> socket() {
    return socket;
  }

  /**
   * Returns what identifies the socket now (its inode and change time), or null when it is absent
   * or there is none: a different key means libvirtd (re)created it.
   */
  Object key() {
    if (socket.isEmpty()) {
      return null;
    }
    try {
      BasicFileAttributes a = Files.readAttributes(socket.get(), BasicFileAttributes.class);
      return java.util.List.of(String.valueOf(a.fileKey()), a.lastModifiedTime().toMillis());
    } catch (IOException e) {
      return null;
    }
  }
}
