package org.havirt.backend.kvm;

import java.nio.file.Path;
import java.util.Optional;
import org.havirt.backend.kvm.internal.DomainXml;
import org.havirt.backend.kvm.internal.GuestFiles;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The definition a start runs: defined from GuestConfigFilePath/SyncDir when the guest is not
 * defined here, and redefined from them when the shared file is newer than the local definition
 * (spec §6: a guest's shared definition only moves forward). Called on a pool thread with the guest
 * inactive here; stateless, so thread-safe.
 */
final class StartDefinition {
  private static final Logger log = LoggerFactory.getLogger(StartDefinition.class);

  private StartDefinition() {}

  /** Defines {@code guest} from its shared file; it must not be defined here. Caller frees. */
  static Domain define(Connect c, GuestSpec guest, GuestFiles files)
      throws LibvirtException, BackendException {
    String name = guest.guestName();
    GuestFiles.Definition def =
        files
            .definitionFor(guest)
            .orElseThrow(
                () ->
                    new BackendException(
                        BackendException.Kind.MISCONFIGURED,
                        "guest "
                            + name
                            + " is not defined on this host, and neither "
                            + "GuestConfigFilePath nor SyncDir holds its definition"));
    Domain dom = c.domainDefineXML(def.xml());
    files.markDefinedByAgent(name);
    files.synced(guest, def);
    log.info("guest defined guest={} from={}", name, def.source());
    return dom;
  }

  /**
   * Replaces the local definition of the inactive {@code dom} with the shared file when that is
   * newer ({@link GuestFiles#newerShared}). The local definition is kept in the state directory
   * first, so nothing is lost without a trace.
   */
  static void refresh(Connect c, Domain dom, GuestSpec guest, GuestFiles files)
      throws LibvirtException, BackendException {
    String name = guest.guestName();
    String local = dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML);
    Optional<GuestFiles.Definition> newer = files.newerShared(guest, local);
    if (newer.isEmpty()) {
      return;
    }
    GuestFiles.Definition def = newer.get();
    if (dom.hasManagedSaveImage() == 1) {
      // Restoring a saved memory image needs the definition it was saved with; replacing it
      // would make the restore fail or run a machine that does not match its memory.
      log.warn(
          "guest not redefined from shared file guest={} from={} reason=a managed save image"
              + " exists here; it is restored with the local definition",
          name,
          def.source());
      return;
    }
    String xml = def.xml();
    String localUuid = dom.getUUIDString();
    if (!DomainXml.uuid(DomainXml.parse(xml)).equalsIgnoreCase(localUuid)) {
      // libvirt refuses to redefine a domain under another UUID ("already exists with uuid"),
      // and nodes that each defined a hand-written file without one got different UUIDs.
      xml = DomainXml.withUuid(xml, localUuid);
    }
    Path kept = files.keepCopy(name, local);
    LibvirtBackend.free(c.domainDefineXML(xml));
    files.synced(guest, def);
    log.warn(
        "guest redefined from shared file guest={} from={} reason=the file changed since this node"
            + " last read or wrote it, or this node has no record of it previous={}",
        name,
        def.source(),
        kept);
  }
}
