package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files around a guest: its XML on shared storage (GuestConfigFilePath), the copy in SyncDir,
 * and the agent's own records: which definitions it made (so it undefines only those), and what it
 * last read or wrote of the shared files (so they only move forward).
 *
 * <p><b>Forward only</b> (spec §6): a shared file is written back only when this node ran the guest
 * since it last read or wrote that file, and the file is still what it read or wrote then (nobody
 * else wrote it since), or it does not exist. A node that kept an old definition, or that has no
 * record (upgraded from a version without one), never overwrites the file: it logs why and skips.
 * {@link #newerShared} tells a start to take the shared file instead of the local definition when
 * the shared file changed since this node last read or wrote it. The one exception is {@link
 * #push}, an operator's {@code vmconfigsync} while the guest runs here.
 *
 * <p>Writes are atomic (temporary file, then rename) and skipped when the content is unchanged, so
 * a crash mid-write never leaves a truncated configuration. Thread-safe: the calls for one guest
 * are serialised; different guests proceed in parallel.
 */
public final class GuestFiles {
  private static final Logger log = LoggerFactory.getLogger(GuestFiles.class);

  private final Path stateDir;
  private final SyncRecords records;
  private final DurableFiles.Sync sync;
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  /**
   * @param stateDir where the agent records the definitions it made and what it last read or wrote
   *     of the shared files (e.g. /var/lib/havirt)
   */
  public GuestFiles(Path stateDir) {
    this(stateDir, DurableFiles.FSYNC);
  }

  /** As {@link #GuestFiles(Path)}, making every write durable with {@code sync} (tests). */
  public GuestFiles(Path stateDir, DurableFiles.Sync sync) {
    this.stateDir = stateDir;
    this.sync = sync;
    this.records = new SyncRecords(stateDir, sync);
  }

  /**
   * A domain definition read from a file, with where it came from and the SHA-256 of the bytes
   * read.
   */
  public record Definition(String xml, Path source, String sha256) {}

  /**
   * What a write-back did.
   *
   * @param written the files written
   * @param skipped one line per file left alone because writing it could have moved it backwards
   */
  public record Outcome(List<Path> written, List<String> skipped) {}

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
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw misconfigured("GuestConfigFilePath " + file + " does not exist");
    } catch (IOException e) {
      throw misconfigured("cannot read " + file + ": " + e.getMessage());
    }
    String xml = new String(bytes, StandardCharsets.UTF_8);
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
    return Optional.of(new Definition(xml, file, SyncRecords.sha256(bytes)));
  }

  /** Returns SyncDir/&lt;GuestName&gt;.xml when SyncDir is set. */
  public Optional<Path> syncFile(GuestSpec guest) {
    return guest.meaningful("SyncDir").map(d -> Path.of(d).resolve(guest.guestName() + ".xml"));
  }

  /**
   * For a start of a guest that is defined here and inactive: returns the shared definition when it
   * is newer than {@code localXml} (the local persistent XML), else empty.
   *
   * <p>The shared file is newer when it changed since this node last read or wrote it, or when this
   * node has no record of it (then nothing proves the local definition newer; the shared file is
   * what the cluster agreed on). When the two are identical the record is brought up to date and
   * the answer is empty. After defining from the answer, call {@link #synced}.
   */
  public Optional<Definition> newerShared(GuestSpec guest, String localXml)
      throws BackendException {
    String name = guest.guestName();
    synchronized (lock(name)) {
      Optional<Path> configured = guest.meaningful("GuestConfigFilePath").map(Path::of);
      if (configured.isPresent() && !Files.exists(configured.get())) {
        // Nothing newer to take. The next write-back of what runs here creates the file.
        log.warn(
            "guest starts from its local definition guest={} reason=GuestConfigFilePath {} does"
                + " not exist",
            name,
            configured.get());
        return Optional.empty();
      }
      Optional<Definition> def = definitionFor(guest);
      if (def.isEmpty()) {
        return Optional.empty(); // nothing shared to compare with: the local definition it is
      }
      SyncRecords.Record rec = records.load(name);
      if (rec.base(def.get().source()).filter(def.get().sha256()::equals).isPresent()) {
        return Optional.empty(); // nobody wrote it since: ours is as new or newer
      }
      if (def.get().xml().equals(localXml)) {
        remember(name, rec.withBases(current(guest, def.get())));
        return Optional.empty();
      }
      return def;
    }
  }

  /**
   * Records that this node's definition of {@code guest} is now {@code def}, read from shared
   * storage: the next write-back may replace the files as they are now, once the guest ran here.
   */
  public void synced(GuestSpec guest, Definition def) throws BackendException {
    String name = guest.guestName();
    synchronized (lock(name)) {
      remember(name, records.load(name).withRan(false).withBases(current(guest, def)));
    }
  }

  /**
   * Records that {@code guest} runs (or is about to run) on this node. A guest without
   * GuestConfigFilePath or SyncDir has nothing to record.
   */
  public void ranHere(GuestSpec guest) {
    String name = guest.guestName();
    if (targets(guest).isEmpty()) {
      return;
    }
    synchronized (lock(name)) {
      SyncRecords.Record rec = records.load(name);
      if (!rec.ran()) {
        remember(name, rec.withRan(true));
      }
    }
  }

  /**
   * Writes {@code persistentXml} to GuestConfigFilePath and SyncDir (each where configured), each
   * only if the forward-only rule (class comment) allows it; files left alone are logged with the
   * reason. With {@code stopped}, the guest no longer runs here: later local changes are not "what
   * this node ran" until it runs here again.
   */
  public Outcome writeBack(GuestSpec guest, String persistentXml, boolean stopped)
      throws BackendException {
    String name = guest.guestName();
    synchronized (lock(name)) {
      SyncRecords.Record rec = records.load(name);
      String sha = SyncRecords.sha256(persistentXml);
      Map<Path, String> bases = new HashMap<>();
      List<Path> written = new ArrayList<>();
      List<String> skipped = new ArrayList<>();
      for (Path target : targets(guest)) {
        String now = SyncRecords.stateOf(target);
        Optional<String> base = rec.base(target);
        if (now.equals(sha)) {
          bases.put(target, sha); // already there, whoever wrote it
        } else if (rec.ran() && (now.equals(SyncRecords.ABSENT) || base.equals(Optional.of(now)))) {
          write(target, persistentXml);
          bases.put(target, sha);
          written.add(target);
        } else {
          String why = whySkipped(rec, base);
          log.warn("guest config write-back skipped guest={} file={} reason={}", name, target, why);
          skipped.add(target + ": " + why);
        }
      }
      if (!bases.isEmpty() || rec.ran()) {
        remember(name, rec.withRan(rec.ran() && !stopped).withBases(bases));
      }
      return new Outcome(List.copyOf(written), List.copyOf(skipped));
    }
  }

  /**
   * Writes {@code persistentXml} to GuestConfigFilePath and SyncDir whatever they hold: the
   * operator's {@code vmconfigsync} for a guest that runs here. Returns the files written
   * (unchanged ones are left alone).
   */
  public List<Path> push(GuestSpec guest, String persistentXml) throws BackendException {
    String name = guest.guestName();
    synchronized (lock(name)) {
      SyncRecords.Record rec = records.load(name);
      String sha = SyncRecords.sha256(persistentXml);
      Map<Path, String> bases = new HashMap<>();
      List<Path> written = new ArrayList<>();
      for (Path target : targets(guest)) {
        if (!SyncRecords.stateOf(target).equals(sha)) {
          write(target, persistentXml);
          written.add(target);
        }
        bases.put(target, sha);
      }
      remember(name, rec.withRan(true).withBases(bases));
      return List.copyOf(written);
    }
  }

  /**
   * Keeps a copy of a local definition about to be replaced from shared storage, so that no
   * configuration is ever lost without a trace. Returns where (owner-only, in the state directory).
   */
  public Path keepCopy(String guest, String localXml) throws BackendException {
    Path dir = stateDir.resolve("kept");
    Path copy =
        dir.resolve(
            guest
                + "."
                + DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss.SSS'Z'")
                    .withZone(ZoneOffset.UTC)
                    .format(Instant.now())
                + ".xml");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED, "cannot create " + dir + ": " + e.getMessage(), e);
    }
    write(copy, localXml);
    return copy;
  }

  /** Why a file was left alone, in words that do not repeat its name (the caller adds it). */
  private static String whySkipped(SyncRecords.Record rec, Optional<String> base) {
    if (!rec.ran()) {
      return "the guest has not run on this node since this node last read or wrote this file;"
          + " the definition here may be older";
    }
    if (base.isEmpty()) {
      return "this node has no record of reading or writing this file, so it cannot tell whether"
          + " the definition here is newer";
    }
    return "the file changed since this node last read or wrote it (another node or an"
        + " administrator wrote it); the definition here is not newer";
  }

  /**
   * Stores a record; a failure is logged and never fails the start or stop that asked. A record not
   * stored leaves the old one (or none), and with it later write-backs are skipped, never wrongly
   * made: the safe side.
   */
  private void remember(String guest, SyncRecords.Record rec) {
    try {
      records.store(guest, rec);
    } catch (BackendException e) {
      log.warn("guest config record not stored guest={} err={}", guest, e.getMessage());
    }
  }

  /** The current state of every configured file, with {@code def}'s source as read. */
  private Map<Path, String> current(GuestSpec guest, Definition def) throws BackendException {
    Map<Path, String> m = new HashMap<>();
    for (Path target : targets(guest)) {
      m.put(target, target.equals(def.source()) ? def.sha256() : SyncRecords.stateOf(target));
    }
    return m;
  }

  private List<Path> targets(GuestSpec guest) {
    List<Path> targets = new ArrayList<>();
    guest.meaningful("GuestConfigFilePath").map(Path::of).ifPresent(targets::add);
    syncFile(guest).ifPresent(targets::add);
    return targets;
  }

  private Object lock(String guest) {
    return locks.computeIfAbsent(guest, g -> new Object());
  }

  private void write(Path target, String content) throws BackendException {
    try {
      Path dir = target.toAbsolutePath().getParent();
      if (dir == null || !Files.isDirectory(dir)) {
        throw misconfigured("cannot write " + target + ": directory " + dir + " does not exist");
      }
      // Owner-only: the XML may hold secrets (VIR_DOMAIN_XML_SECURE).
      DurableFiles.write(target, content.getBytes(StandardCharsets.UTF_8), sync);
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED, "cannot write " + target + ": " + e.getMessage(), e);
    }
  }

  /** Records that the agent defined {@code guest} here. */
  public void markDefinedByAgent(String guest) throws BackendException {
    try {
      Files.createDirectories(markers());
      DurableFiles.write(
          markers().resolve(guest),
          "defined by havirt\n".getBytes(StandardCharsets.US_ASCII),
          sync);
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
