package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;

/**
 * The files around a guest: its XML on shared storage (GuestConfigFilePath), the copy in SyncDir,
 * and the agent's own record of which definitions it made (so it undefines only those).
 *
 * <p>Writes are atomic (temporary file, then rename) and skipped when the content is unchanged, so
 * a crash mid-write never leaves a truncated configuration. Thread-safe.
 */
public final class GuestFiles {
  private final Path stateDir;

  /**
   * @param stateDir where the agent records the definitions it made (e.g. /var/lib/havirt)
   */
  public GuestFiles(Path stateDir) {
    this.stateDir = stateDir;
  }

  /** A domain definition read from a file, with where it came from. */
  public record Definition(String xml, Path source) {}

  /**
   * Returns the XML to define {@code guest} from: GuestConfigFilePath if set, else
   * SyncDir/&lt;GuestName&gt;.xml if present. The XML must be a domain named GuestName.
   */
  public Optional<Definition> definitionFor(GuestSpec guest) throws BackendException {
    Optional<String> configured = guest.meaningful("GuestConfigFilePath");
    Path file;
    if (configured.isPresent()) {
      file = Path.of(configured.get());
    } else {
      Optional<Path> synced = syncFile(guest);
      if (synced.isEmpty() || !Files.exists(synced.get())) {
        return Optional.empty();
      }
      file = synced.get();
    }
    String xml;
    try {
      xml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw misconfigured("GuestConfigFilePath " + file + " does not exist");
    } catch (IOException e) {
      throw misconfigured("cannot read " + file + ": " + e.getMessage());
    }
    String name;
    try {
      name = DomainXml.name(DomainXml.parse(xml));
    } catch (IllegalArgumentException e) {
      throw misconfigured(file + " is not a valid domain XML: " + e.getMessage());
    }
    if (!name.equals(guest.guestName())) {
      throw misconfigured(
          file + " defines domain '" + name + "', not GuestName '" + guest.guestName() + "'");
    }
    return Optional.of(new Definition(xml, file));
  }

  /** Returns SyncDir/&lt;GuestName&gt;.xml when SyncDir is set. */
  public Optional<Path> syncFile(GuestSpec guest) {
    return guest.meaningful("SyncDir").map(d -> Path.of(d).resolve(guest.guestName() + ".xml"));
  }

  /**
   * Writes the persistent XML to GuestConfigFilePath and SyncDir (each where configured). Returns
   * the files written; unchanged files are left alone.
   */
  public List<Path> writeBack(GuestSpec guest, String persistentXml) throws BackendException {
    List<Path> targets = new ArrayList<>();
    guest.meaningful("GuestConfigFilePath").map(Path::of).ifPresent(targets::add);
    syncFile(guest).ifPresent(targets::add);
    List<Path> written = new ArrayList<>();
    for (Path target : targets) {
      if (writeIfChanged(target, persistentXml)) {
        written.add(target);
      }
    }
    return written;
  }

  private static boolean writeIfChanged(Path target, String content) throws BackendException {
    try {
      if (Files.exists(target)
          && Files.readString(target, StandardCharsets.UTF_8).equals(content)) {
        return false;
      }
      Path dir = target.toAbsolutePath().getParent();
      if (dir == null || !Files.isDirectory(dir)) {
        throw misconfigured("cannot write " + target + ": directory " + dir + " does not exist");
      }
      // The XML may hold secrets (VIR_DOMAIN_XML_SECURE): new files are owner-only.
      Path tmp =
          Files.createTempFile(
              dir,
              "." + target.getFileName(),
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
          Files.move(
              tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
      return true;
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED, "cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  /** Records that the agent defined {@code guest} here. */
  public void markDefinedByAgent(String guest) throws BackendException {
    try {
      Files.createDirectories(markers());
      Files.writeString(markers().resolve(guest), "defined by havirt\n");
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED,
          "cannot record the definition of " + guest + " in " + markers() + ": " + e.getMessage(),
          e);
    }
  }

  /** Returns whether the agent defined {@code guest} here (and so may undefine it). */
  public boolean definedByAgent(String guest) {
    return Files.exists(markers().resolve(guest));
  }

  public void forgetDefinition(String guest) {
    try {
      Files.deleteIfExists(markers().resolve(guest));
    } catch (IOException e) {
      // A stale marker only means a later clean undefines a definition it recreated itself.
    }
  }

  private Path markers() {
    return stateDir.resolve("defined");
  }

  private static BackendException misconfigured(String message) {
    return new BackendException(BackendException.Kind.MISCONFIGURED, message);
  }
}
