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
  private final java.util.List<Path> watched;

  private SocketWatch(Optional<Path> socket, java.util.List<Path> watched) {
    this.socket = socket;
    this.watched = watched;
  }

  static SocketWatch forUri(String uri) {
    Optional<Path> s = socketOf(uri);
    java.util.List<Path> watched = new java.util.ArrayList<>();
    s.ifPresent(watched::add);
    modularSocket(uri).filter(m -> s.equals(Optional.of(SYSTEM_SOCKET))).ifPresent(watched::add);
    return new SocketWatch(s, java.util.List.copyOf(watched));
  }

  /**
   * The per-driver socket of libvirt's modular daemons (virtqemud and friends, the default on RHEL
   * 9 and recent Debian), which the client uses instead of libvirtd's when that runs.
   */
  static Optional<Path> modularSocket(String uri) {
    int colon = uri.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    String driver = uri.substring(0, colon).split("\\+")[0];
    return driver.matches("[a-z]+")
        ? Optional.of(Path.of("/run/libvirt/virt" + driver + "d-sock"))
        : Optional.empty();
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
    java.util.List<Object> keys = new java.util.ArrayList<>();
    boolean any = false;
    for (Path p : watched) {
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        keys.add(String.valueOf(a.fileKey()) + "@" + a.lastModifiedTime().toMillis());
        any = true;
      } catch (IOException e) {
        keys.add("absent");
      }
    }
    return any ? keys : null;
  }
}
