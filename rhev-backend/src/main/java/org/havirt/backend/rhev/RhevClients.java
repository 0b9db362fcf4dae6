package org.havirt.backend.rhev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.PasswordCipher;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;

/**
 * One {@link RhevClient} per RHEV-M and set of credentials (RHEVMInfo URL, User, Password, CAFile),
 * shared by every resource that names them, so their requests share a connection pool, a token and
 * one {@link RequestLog}. The password is decrypted for the resource's URL and User before any
 * client exists: a value bound to another RHEV-M or user never reaches the network. Clients that no
 * resource asked for during their idle time are closed ({@link #closeIdle}). Thread-safe.
 */
final class RhevClients implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RhevClients.class);
  private final Optional<Path> defaultCa;
  private final Path keyFile;
  private final long maxBody;
  private final Duration idle;
  private final Map<String, Entry> clients = new ConcurrentHashMap<>();
  private final Set<String> warnedUnbound = ConcurrentHashMap.newKeySet();

  /**
   * A client, when a resource last asked for it, and the longest MonitorInterval or
   * OfflineMonitorInterval among them.
   */
  private static final class Entry {
    final RhevClient client;
    volatile long usedAt = System.nanoTime();
    volatile long longestInterval;

    Entry(RhevClient client) {
      this.client = client;
    }
  }

  RhevClients(Optional<Path> defaultCa, Path keyFile, long maxBody, Duration idle) {
    this.defaultCa = defaultCa;
    this.keyFile = keyFile;
    this.maxBody = maxBody;
    this.idle = idle;
  }

  Path keyFile() {
    return keyFile;
  }

  /** Returns the client for {@code g}'s RHEVMInfo, made on first use. */
  RhevClient client(GuestSpec g) throws BackendException {
    String url;
    try {
      url = PasswordCipher.canonicalUrl(need(g, "URL"));
    } catch (IllegalArgumentException e) {
      throw new BackendException(Kind.MISCONFIGURED, e.getMessage());
    }
    String user = need(g, "User");
    String password = password(g, need(g, "Password"), url, user);
    Optional<Path> ca = g.associationKey("RHEVMInfo", "CAFile").map(Path::of).or(() -> defaultCa);
    String key =
        url
            + "\u0000"
            + user
            + "\u0000"
            + password.hashCode()
            + "\u0000"
            + ca.map(Path::toString).orElse("");
    Entry e = clients.get(key);
    if (e == null) {
      Entry made = new Entry(new RhevClient(url, user, password, ca, maxBody));
      e = clients.putIfAbsent(key, made);
      if (e == null) {
        e = made;
      } else {
        made.client.close();
      }
    }
    long interval = g.integer("MonitorInterval").orElse(60);
    e.client.pauseLoginsAfterRefusal(Duration.ofSeconds(interval));
    // An offline resource is monitored every OfflineMonitorInterval: its client must outlive that.
    long longest = Math.max(interval, g.integer("OfflineMonitorInterval").orElse(300));
    e.longestInterval = Math.max(e.longestInterval, longest);
    e.usedAt = System.nanoTime();
    return e.client;
  }

  /**
   * Decrypts RHEVMInfo.Password for the resource's URL and User; a plain password is refused, and
   * an unbound (HVE1) value is used with a warning, once per resource.
   */
  private String password(GuestSpec g, String value, String url, String user)
      throws BackendException {
    if (!PasswordCipher.isEncrypted(value)) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "RHEVMInfo.Password is not encrypted: replace it with the output of 'havirt encrypt'");
    }
    PasswordCipher.Secret s;
    try {
      s = PasswordCipher.open(keyFile).decryptFor(value, url, user);
    } catch (java.io.IOException e) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "cannot use the key file "
              + keyFile
              + ": "
              + e.getMessage()
              + " (run 'havirt encrypt' on this host, or copy the key file from where the password was encrypted)");
    } catch (IllegalArgumentException e) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          e.getMessage().startsWith("RHEVMInfo.")
              ? e.getMessage()
              : "RHEVMInfo.Password: " + e.getMessage());
    }
    if (!s.bound() && warnedUnbound.add(g.resource())) {
      log.warn(
          "{}: RHEVMInfo.Password is an HVE1 value, which any resource could send to any RHEV-M;"
              + " run {} and put its output in RHEVMInfo.Password",
          g.resource(),
          RhevChecks.reEncryptCommand(url, user, keyFile));
    }
    return s.password();
  }

  private static String need(GuestSpec g, String key) throws BackendException {
    return g.associationKey("RHEVMInfo", key)
        .orElseThrow(
            () ->
                new BackendException(
                    Kind.MISCONFIGURED,
                    "RHEVMInfo." + key + " is not set for resource " + g.resource()));
  }

  /**
   * Closes and forgets the clients no resource asked for during their idle time (the node setting,
   * and at least three of their longest monitor interval), and returns them so their pollers stop
   * too. A resource that asks again later gets a new client.
   */
  java.util.List<RhevClient> closeIdle() {
    java.util.List<RhevClient> closed = new java.util.ArrayList<>();
    long now = System.nanoTime();
    clients
        .entrySet()
        .removeIf(
            en -> {
              Entry e = en.getValue();
              long limit =
                  Math.max(idle.toNanos(), Duration.ofSeconds(3 * e.longestInterval).toNanos());
              if (now - e.usedAt <= limit) {
                return false;
              }
              closed.add(e.client);
              return true;
            });
    closed.forEach(RhevClient::close);
    return closed;
  }

  /** Whether {@code c} is still one of the live clients. */
  boolean live(RhevClient c) {
    return clients.values().stream().anyMatch(e -> e.client == c);
  }

  @Override
  public void close() {
    clients.values().forEach(e -> e.client.close());
    clients.clear();
  }
}
