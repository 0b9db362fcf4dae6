package org.havirt.backend.kvm;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.backend.kvm.internal.DomainXml;
import org.havirt.backend.kvm.internal.GuestFiles;
import org.havirt.types.Deadline;
import org.havirt.types.HostNames;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;

/**
 * The KVM environment checks of havirtverify (spec §8): libvirtd reachable, the guest defined or
 * definable from its XML, SyncDir writable, the disks visible here, the migration URIs of the peers
 * well formed; and, for information, whether the qemu watch is on. Reads only. Thread-safe.
 */
final class KvmChecks {
  private final LibvirtBackend backend;
  private final GuestActions actions;
  private final KvmSettings settings;

  KvmChecks(LibvirtBackend backend, GuestActions actions, KvmSettings settings) {
    this.backend = backend;
    this.actions = actions;
    this.settings = settings;
  }

  List<Check> verify(GuestSpec guest, Deadline deadline) {
    List<Check> out = new ArrayList<>();
    String name = guest.guestName();
    Optional<String> xml = Optional.empty();
    boolean reachable;
    // libvirtd answered, in this very check, that it has no domain of that name (running,
    // transient or persistent): the only ground for calling the guest certainly absent here.
    boolean notFound = false;
    try {
      backend.connect(deadline);
      out.add(Check.pass("libvirtd", "libvirtd at " + settings.uri() + " is reachable"));
      reachable = true;
    } catch (BackendException e) {
      out.add(
          Check.fail(
              "libvirtd",
              "cannot reach libvirtd at " + settings.uri() + ": " + e.getMessage(),
              "start libvirtd (systemctl start libvirtd), or set this node's libvirt URI"
                  + " (--libvirt-uri or HAVIRT_LIBVIRT_URI)"));
      reachable = false;
    }
    if (reachable) {
      try {
        xml = Optional.of(actions.persistentXml(guest, deadline));
        out.add(Check.pass("guest", "guest " + name + " is defined in libvirtd"));
      } catch (BackendException e) {
        notFound = e.kind() == BackendException.Kind.NOT_FOUND;
        if (!notFound) {
          out.add(
              Check.fail(
                  "guest",
                  "cannot read the definition of guest " + name + ": " + e.getMessage(),
                  "check libvirtd's log and that this user may read domains"));
        }
      }
    }
    if (xml.isEmpty() && (reachable || out.stream().noneMatch(c -> c.name().equals("guest")))) {
      xml = fromFile(guest, notFound, out);
    }
    syncDir(guest, out);
    xml.ifPresent(x -> disks(x, out));
    migrationUris(guest, out);
    // Information, never a failure: without the watch, detection falls back to libvirt's events.
    out.add(Check.pass("qemu-watch", "qemu watch " + backend.qemuWatchState()));
    return out;
  }

  /**
   * The guest is not defined: its XML must come from GuestConfigFilePath or SyncDir.
   *
   * @param notFound libvirtd answered in this check that no such domain exists: a failure is then
   *     {@link Check#absent} when no definition file exists on this node either
   */
  private Optional<String> fromFile(GuestSpec guest, boolean notFound, List<Check> out) {
    String name = guest.guestName();
    GuestFiles files = backend.files();
    try {
      Optional<GuestFiles.Definition> d = files.definitionFor(guest);
      if (d.isPresent()) {
        out.add(
            Check.pass(
                "guest",
                "guest "
                    + name
                    + " is not defined here; online defines it from "
                    + d.get().source()));
        return Optional.of(d.get().xml());
      }
      out.add(
          failure(
              notFound && noDefinitionFile(guest),
              "guest",
              "guest "
                  + name
                  + " is not defined in libvirtd at "
                  + settings.uri()
                  + " and no configuration file gives it"
                  + files.syncFile(guest).map(f -> " (no " + f + ")").orElse(""),
              "define it (virsh define), or set GuestConfigFilePath to its domain XML on shared"
                  + " storage, or SyncDir to a directory holding "
                  + name
                  + ".xml"));
    } catch (BackendException e) {
      // GuestConfigFilePath names a file that does not exist here (shared storage not mounted on
      // this node) is as certain as no file at all; one that exists but cannot be read or parsed
      // is a misconfiguration, never "absent".
      out.add(
          failure(
              notFound && noDefinitionFile(guest),
              "guest",
              e.getMessage(),
              "fix GuestConfigFilePath (a readable libvirt domain XML whose <name> is "
                  + name
                  + ")"));
    }
    return Optional.empty();
  }

  private static Check failure(boolean absent, String name, String detail, String fix) {
    return absent ? Check.absent(name, detail, fix) : Check.fail(name, detail, fix);
  }

  /**
   * Whether this node certainly has no definition file for the guest, checked afresh: neither
   * GuestConfigFilePath nor SyncDir/&lt;GuestName&gt;.xml exists. {@link Files#notExists} is false
   * when existence cannot be determined (a directory this user cannot search), so doubt never
   * counts as absence.
   */
  private boolean noDefinitionFile(GuestSpec guest) {
    Optional<String> configured = guest.meaningful("GuestConfigFilePath");
    if (configured.isPresent() && !Files.notExists(Path.of(configured.get()))) {
      return false;
    }
    Optional<Path> synced = backend.files().syncFile(guest);
    return synced.isEmpty() || Files.notExists(synced.get());
  }

  private static void syncDir(GuestSpec guest, List<Check> out) {
    Optional<String> dir = guest.meaningful("SyncDir");
    if (dir.isEmpty()) {
      return;
    }
    Path p = Path.of(dir.get());
    if (!Files.isDirectory(p)) {
      out.add(
          Check.fail(
              "syncdir",
              "SyncDir " + p + " is not a directory",
              "create it on shared storage, mounted at the same path on every system"));
      return;
    }
    try {
      // Writable means a file can really be created: permissions alone miss read-only mounts.
      Path probe = Files.createTempFile(p, ".havirtverify-", ".tmp");
      Files.delete(probe);
      out.add(Check.pass("syncdir", "SyncDir " + p + " is writable"));
    } catch (IOException e) {
      out.add(
          Check.fail(
              "syncdir",
              "SyncDir " + p + " is not writable: " + e.getMessage(),
              "make it writable for the agent (root), and check the mount is read-write"));
    }
  }

  private static void disks(String xml, List<Check> out) {
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (DomainXml.DiskSource d : DomainXml.disks(DomainXml.parse(xml))) {
      if (d.path().isEmpty() || d.kind().equals("network") || d.kind().equals("volume")) {
        continue; // an empty drive, or storage this host cannot see as a path
      }
      checked++;
      Path p = Path.of(d.path());
      if (!Files.isReadable(p)) {
        missing.add(d.path() + (Files.exists(p) ? " (not readable)" : " (missing)"));
      }
    }
    if (missing.isEmpty()) {
      out.add(Check.pass("disks", checked + " disk source(s) visible on this host"));
    } else {
      out.add(
          Check.fail(
              "disks",
              "disk sources not visible on this host: " + String.join(", ", missing),
              "make the guest's storage available at the same paths on every system"));
    }
  }

  // Package-private for UnusableHostTest.
  void migrationUris(GuestSpec guest, List<Check> out) {
    for (String peer : guest.peerHypervisors()) {
      Optional<String> bad = HostNames.problem(peer);
      if (bad.isPresent()) {
        out.add(
            Check.fail(
                "migration-uri",
                "peer " + HostNames.describe(peer, bad.get()),
                "set the peer's PhysicalServer (or its system name) to its host name or address"));
        return;
      }
      String uri = settings.hypervisorUri(peer);
      Optional<String> problem = malformed(uri, peer);
      if (problem.isPresent()) {
        out.add(
            Check.fail(
                "migration-uri",
                "the migration URI of "
                    + peer
                    + " is not usable: "
                    + uri
                    + " ("
                    + problem.get()
                    + ")",
                "fix the peer's PhysicalServer, or this node's migrate URI template"
                    + " (--migrate-uri, e.g. qemu+ssh://%h/system)"));
        return;
      }
    }
    if (!guest.peerHypervisors().isEmpty()) {
      out.add(
          Check.pass(
              "migration-uri",
              "migration URIs well formed, e.g. "
                  + settings.hypervisorUri(guest.peerHypervisors().get(0))));
    }
  }

  /**
   * A peer's URI needs a scheme and must reach the peer: its host, or for a local socket transport
   * ({@code +unix}, as tests and single-machine labs use) a socket path naming the peer.
   */
  static Optional<String> malformed(String uri, String peer) {
    try {
      URI u = new URI(uri);
      if (u.getScheme() == null) {
        return Optional.of("no scheme, e.g. qemu+ssh://");
      }
      boolean unix = u.getScheme().endsWith("+unix");
      if ((u.getHost() == null || u.getHost().isEmpty()) && !(unix && uri.contains(peer))) {
        return Optional.of("it names no host, so it would reach this host: put %h in the template");
      }
      return Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.of(e.getReason());
    }
  }
}
