package org.havirt.backend.rhev;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;

/**
 * One {@link RhevClient} per RHEV-M and set of credentials (RHEVMInfo URL, User, Password, CAFile),
 * shared by every resource that names them, so their requests share a connection pool, a token and
 * one {@link RequestLog}. Thread-safe.
 */
final class RhevClients implements AutoCloseable {
  private final Optional<Path> defaultCa;
  private final Path keyFile;
  private final Map<String, RhevClient> clients = new ConcurrentHashMap<>();

  RhevClients(Optional<Path> defaultCa, Path keyFile) {
    this.defaultCa = defaultCa;
    this.keyFile = keyFile;
  }

  /** Returns the client for {@code g}'s RHEVMInfo, made on first use. */
  RhevClient client(GuestSpec g) throws BackendException {
    String url = need(g, "URL");
    String user = need(g, "User");
    String password = password(need(g, "Password"));
    Optional<Path> ca = g.associationKey("RHEVMInfo", "CAFile").map(Path::of).or(() -> defaultCa);
    String key =
        url
            + "\u0000"
            + user
            + "\u0000"
            + password.hashCode()
            + "\u0000"
            + ca.map(Path::toString).orElse("");
    RhevClient c = clients.get(key);
    if (c == null) {
      c = new RhevClient(url, user, password, ca);
      RhevClient raced = clients.putIfAbsent(key, c);
      if (raced != null) {
        c.close();
        c = raced;
      }
    }
    return c;
  }

  /** Decrypts RHEVMInfo.Password; a plain password in the configuration is refused. */
  private String password(String value) throws BackendException {
    if (!org.havirt.types.PasswordCipher.isEncrypted(value)) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "RHEVMInfo.Password is not encrypted: replace it with the output of 'havirt encrypt'");
    }
    try {
      return org.havirt.types.PasswordCipher.open(keyFile).decrypt(value);
    } catch (java.io.IOException e) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "cannot read the key file "
              + keyFile
              + ": "
              + e.getMessage()
              + " (run 'havirt encrypt' on this host, or copy the key file from where the password was encrypted)");
    } catch (IllegalArgumentException e) {
      throw new BackendException(Kind.MISCONFIGURED, "RHEVMInfo.Password: " + e.getMessage());
    }
  }

  private static String need(GuestSpec g, String key) throws BackendException {
    return g.associationKey("RHEVMInfo", key)
        .orElseThrow(
            () ->
                new BackendException(
                    Kind.MISCONFIGURED,
                    "RHEVMInfo." + key + " is not set for resource " + g.resource()));
  }

  @Override
  public void close() {
    clients.values().forEach(RhevClient::close);
    clients.clear();
  }
}
