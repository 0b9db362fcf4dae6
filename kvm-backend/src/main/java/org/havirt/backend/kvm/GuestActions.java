package org.havirt.backend.kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.havirt.backend.kvm.internal.DomainXml;
import org.havirt.backend.kvm.internal.GuestFiles;
import org.havirt.backend.kvm.internal.NativeCalls;
import org.havirt.types.Deadline;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.state.VmState;
import org.havirt.types.state.VmStatus;
import org.libvirt.Domain;

/** The KVMGuest actions: guestmigrated, vmconfigsync and DevScan. */
final class GuestActions {
  private final LibvirtBackend backend;

  GuestActions(LibvirtBackend backend) {
    this.backend = backend;
  }

  ActionOutput run(GuestSpec guest, String action, List<String> args, Deadline deadline)
      throws BackendException {
    return switch (action.toLowerCase(Locale.ROOT)) {
      case "guestmigrated" -> guestMigrated(guest, deadline);
      case "vmconfigsync" -> configSync(guest, deadline);
      case "devscan" -> devScan(guest, deadline);
      default ->
          throw new BackendException(
              BackendException.Kind.UNSUPPORTED,
              "action '"
                  + action
                  + "' is not supported; KVMGuest supports guestmigrated, vmconfigsync, DevScan");
    };
  }

  /** Re-probes and reports where the guest runs, relative to this host. */
  private ActionOutput guestMigrated(GuestSpec guest, Deadline deadline) throws BackendException {
    VmStatus s = backend.inspect(guest, deadline);
    boolean here = PeerGuardStates.runsHere(s.state());
    return new ActionOutput(
        true,
        "guest "
            + guest.guestName()
            + (here ? " runs on this host (" : " does not run on this host (")
            + s.native_()
            + ")");
  }

  /**
   * Writes the persistent XML to GuestConfigFilePath and SyncDir. While the guest runs here this is
   * the operator pushing what this node runs: written whatever the files hold. Otherwise the
   * forward-only rule applies (GuestFiles), and files it leaves alone are named with the reason.
   */
  private ActionOutput configSync(GuestSpec guest, Deadline deadline) throws BackendException {
    if (guest.meaningful("GuestConfigFilePath").isEmpty()
        && guest.meaningful("SyncDir").isEmpty()) {
      return new ActionOutput(
          false, "neither GuestConfigFilePath nor SyncDir is set: nothing to write");
    }
    String name = guest.guestName();
    GuestFiles files = backend.files();
    GuestFiles.Outcome out =
        backend.call(
            "sync config of " + name,
            deadline,
            c -> {
              Domain dom = LibvirtBackend.lookup(c, name);
              if (dom == null) {
                throw new BackendException(
                    BackendException.Kind.NOT_FOUND,
                    "guest " + name + " is not defined on this host");
              }
              try {
                String xml = dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML);
                return PeerGuard.isActive(NativeCalls.state(dom)[0])
                    ? new GuestFiles.Outcome(files.push(guest, xml), List.of())
                    : files.writeBack(guest, xml, false);
              } finally {
                LibvirtBackend.free(dom);
              }
            });
    StringBuilder text = new StringBuilder();
    if (!out.written().isEmpty()) {
      text.append("configuration written to ")
          .append(String.join(", ", out.written().stream().map(Path::toString).toList()));
    } else if (out.skipped().isEmpty()) {
      text.append("configuration already up to date");
    }
    for (String skipped : out.skipped()) {
      text.append(text.length() == 0 ? "" : "\n").append("not written: ").append(skipped);
    }
    if (!out.skipped().isEmpty()) {
      text.append("\nto push this node's definition, run vmconfigsync while the guest runs here");
    }
    return new ActionOutput(out.skipped().isEmpty(), text.toString());
  }

  /** Lists the guest's disk and CD-ROM sources and checks each is readable here. */
  private ActionOutput devScan(GuestSpec guest, Deadline deadline) throws BackendException {
    String xml;
    try {
      xml = persistentXml(guest, deadline);
    } catch (BackendException e) {
      if (e.kind() != BackendException.Kind.NOT_FOUND) {
        throw e;
      }
      xml = backend.files().definitionFor(guest).orElseThrow(() -> e).xml();
    }
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    for (DomainXml.DiskSource d : DomainXml.disks(DomainXml.parse(xml))) {
      String where = d.device() + " " + (d.target().isEmpty() ? "?" : d.target());
      if (d.path().isEmpty()) {
        out.append(where).append(": no source (empty drive)\n");
      } else if (d.kind().equals("network") || d.kind().equals("volume")) {
        out.append(where)
            .append(": ")
            .append(d.path())
            .append(" (")
            .append(d.kind())
            .append(", not checked)\n");
      } else if (Files.isReadable(Path.of(d.path()))) {
        out.append(where).append(": ").append(d.path()).append(" OK\n");
      } else {
        ok = false;
        out.append(where)
            .append(": ")
            .append(d.path())
            .append(
                Files.exists(Path.of(d.path())) ? " NOT READABLE\n" : " MISSING on this host\n");
      }
    }
    if (out.length() == 0) {
      out.append("guest ").append(guest.guestName()).append(" has no disks\n");
    }
    return new ActionOutput(ok, out.toString().strip());
  }

  String persistentXml(GuestSpec guest, Deadline deadline) throws BackendException {
    String name = guest.guestName();
    return backend.call(
        "read config of " + name,
        deadline,
        c -> {
          Domain dom = LibvirtBackend.lookup(c, name);
          if (dom == null) {
            throw new BackendException(
                BackendException.Kind.NOT_FOUND, "guest " + name + " is not defined on this host");
          }
          try {
            return dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML);
          } finally {
            LibvirtBackend.free(dom);
          }
        });
  }

  /** Which neutral states mean "the guest is here". */
  static final class PeerGuardStates {
    private PeerGuardStates() {}

    static boolean runsHere(VmState s) {
      return switch (s) {
        case RUNNING,
                LAUNCHING,
                POWERING_UP,
                RESTORING,
                POWERING_DOWN,
                PAUSED,
                PAUSED_IO_ERROR,
                MIGRATING,
                REBOOTING ->
            true;
        case DOWN,
                CRASHED,
                NOT_DEFINED,
                SUSPENDED,
                MIGRATED_AWAY,
                RUNNING_ELSEWHERE,
                LOCKED,
                UNKNOWN ->
            false;
      };
    }
  }
}
