package org.havirt.backend.kvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import org.havirt.backend.kvm.internal.DomainXml;
import org.havirt.backend.kvm.internal.DurableFiles;
import org.havirt.backend.kvm.internal.IsoImage;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.dr.DrNetwork;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disaster-recovery network of a KVM guest (spec §6): before a start with DROpts
 * ConfigureNetwork = 1, this site's network goes into {@code havirt-dr.conf} on an ISO image in
 * {@code state.dir/dr/GUEST.iso}, attached to the guest's persistent definition as a read-only
 * CD-ROM, where the guest service {@code havirt-net-reconfig} reads it at boot. A start without
 * DROpts removes a CD-ROM havirt attached earlier, so a guest back at its primary site does not
 * boot with the recovery site's network. Called on a libvirt call thread; one guest at a time.
 */
final class DrMedia {
  private static final Logger log = LoggerFactory.getLogger(DrMedia.class);
  static final String VOLUME = "HAVIRT_DR";

  private final Path dir;
  private final Clock clock;
  private final DurableFiles.Sync sync;

  DrMedia(Path stateDir, Clock clock) {
    this(stateDir, clock, DurableFiles.FSYNC);
  }

  /** As {@link #DrMedia(Path, Clock)}, making the image durable with {@code sync} (tests). */
  DrMedia(Path stateDir, Clock clock, DurableFiles.Sync sync) {
    this.dir = stateDir.resolve("dr");
    this.clock = clock;
    this.sync = sync;
  }

  /** The image path of {@code guest}. */
  Path isoFor(String guest) {
    return dir.resolve(guest + ".iso");
  }

  /** Throws MISCONFIGURED when DROpts asks for a network it does not fully describe. */
  static Optional<DrNetwork> network(GuestSpec guest) throws BackendException {
    if (!DrNetwork.requested(guest)) {
      return Optional.empty();
    }
    DrNetwork.Parsed p = DrNetwork.parse(guest);
    if (p.network().isEmpty()) {
      throw new BackendException(
          BackendException.Kind.MISCONFIGURED,
          "DROpts is not usable: " + String.join("; ", p.problems()));
    }
    return p.network();
  }

  /**
   * Brings the CD-ROM of {@code dom} (defined, not running) in line with the resource's DROpts.
   * Returns the domain to start: {@code dom} itself, or its redefinition, which the caller frees
   * along with {@code dom}.
   */
  Domain prepare(Connect c, Domain dom, GuestSpec guest) throws LibvirtException, BackendException {
    Optional<DrNetwork> dr = network(guest);
    Path iso = isoFor(guest.guestName());
    String xml = dom.getXMLDesc(LibvirtBackend.PERSISTENT_XML);
    boolean attached =
        DomainXml.disks(DomainXml.parse(xml)).stream()
            .anyMatch(d -> d.device().equals("cdrom") && d.path().equals(iso.toString()));
    if (dr.isEmpty() && !attached) {
      return dom;
    }
    if (dr.isPresent()) {
      write(iso, dr.get().payload());
      if (attached) {
        log.info("DR payload refreshed guest={} iso={}", guest.guestName(), iso);
        return dom;
      }
    }
    Domain redefined = c.domainDefineXML(DomainXml.withCdrom(xml, iso.toString(), dr.isPresent()));
    if (dr.isPresent()) {
      log.info("DR payload attached guest={} iso={}", guest.guestName(), iso);
    } else {
      log.info("stale DR payload removed guest={} iso={}", guest.guestName(), iso);
      try {
        Files.deleteIfExists(iso);
      } catch (IOException e) {
        log.warn("cannot delete DR payload iso={} err={}", iso, e.getMessage());
      }
    }
    return redefined;
  }

  // Package-private for DrMediaDurableTest.
  void write(Path iso, String payload) throws BackendException {
    byte[] image =
        IsoImage.build(
            VOLUME,
            Map.of(DrNetwork.PAYLOAD_FILE, payload.getBytes(StandardCharsets.UTF_8)),
            ZonedDateTime.now(clock));
    try {
      Files.createDirectories(dir);
      DurableFiles.write(iso, image, sync);
    } catch (IOException e) {
      throw new BackendException(
          BackendException.Kind.FAILED, "cannot write the DR payload " + iso + ": " + e);
    }
  }
}
