package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.havirt.types.backend.BackendException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's memory of a guest's shared files, kept in the state directory ({@code
 * config-sync/<GuestName>}) so it survives agent restarts and crashes.
 *
 * <p>Not thread-safe on its own: {@link GuestFiles} serialises the calls for one guest.
 */
final class SyncRecords {
  private static final Logger log = LoggerFactory.getLogger(SyncRecords.class);

  /** The state of a file that does not exist. */
  static final String ABSENT = "absent";

  private static final String RAN = "ran";
  private static final String BASE = "base.";

  /**
   * What this node knows of one guest.
   *
   * @param ran whether the guest ran on this node since the node last read or wrote its files
   * @param bases per shared file, the SHA-256 of the content this node last read or wrote there (or
   *     {@link #ABSENT}); a file missing here was never read or written by this node
   */
  record Record(boolean ran, Map<Path, String> bases) {
    Record {
      bases = Map.copyOf(bases);
    }

    static final Record NONE = new Record(false, Map.of());

    Optional<String> base(Path file) {
      return Optional.ofNullable(bases.get(file));
    }

    Record withRan(boolean r) {
      return new Record(r, bases);
    }

    Record withBases(Map<Path, String> changed) {
      Map<Path, String> m = new HashMap<>(bases);
      m.putAll(changed);
      return new Record(ran, m);
    }
  }

  private final Path dir;
  private final DurableFiles.Sync sync;

  SyncRecords(Path stateDir, DurableFiles.Sync sync) {
    this.dir = stateDir.resolve("config-sync");
    this.sync = sync;
  }

  /**
   * Returns the record of {@code guest}, or {@link Record#NONE} when there is none. An unreadable
   * record counts as none: the node then proves nothing, which is the safe side.
   */
  Record load(String guest) {
    Path f = dir.resolve(guest);
    String text;
    try {
      text = Files.readString(f, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Record.NONE;
    } catch (IOException e) {
      log.warn("guest config record unreadable guest={} file={} err={}", guest, f, e.getMessage());
      return Record.NONE;
    }
    Properties p = new Properties();
    try (Reader r = new StringReader(text)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      log.warn("guest config record unreadable guest={} file={} err={}", guest, f, e.getMessage());
      return Record.NONE;
    }
    Map<Path, String> bases = new HashMap<>();
    for (String key : p.stringPropertyNames()) {
      if (key.startsWith(BASE)) {
        bases.put(Path.of(key.substring(BASE.length())), p.getProperty(key));
      }
    }
    return new Record(Boolean.parseBoolean(p.getProperty(RAN)), bases);
  }

  /** Stores the record of {@code guest}, atomically and durably (see {@link DurableFiles}). */
  void store(String guest, Record rec) throws BackendException {
    Properties p = new Properties();
    p.setProperty(RAN, Boolean.toString(rec.ran()));
    rec.bases().forEach((file, sha) -> p.setProperty(BASE + file, sha));
    try {
      StringWriter out = new StringWriter();
      p.store(out, "havirt: what this node last read or wrote of guest " + guest);
      Files.createDirectories(dir);
      DurableFiles.write(dir.resolve(guest), out.toString().getBytes(StandardCharsets.UTF_8), sync);
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED,
          "cannot record the configuration sync of " + guest + " in " + dir + ": " + e.getMessage(),
          e);
    }
  }

  /** Returns the SHA-256 of {@code file}'s content, or {@link #ABSENT}. */
  static String stateOf(Path file) throws BackendException {
    try {
      return sha256(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return ABSENT;
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED, "cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static String sha256(String content) {
    return sha256(content.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
