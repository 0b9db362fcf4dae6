package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.dr.DrNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KVM disaster-recovery payload (spec §6) against a real libvirtd (test driver): the ISO the
 * backend attaches before a DR start, read back with isoinfo and applied by the guest service
 * havirt-net-reconfig on a fake root; its removal on a start without DROpts; refusal of unusable
 * DROpts before anything changes.
 */
class KvmDrMediaIT {
  static final Path SERVICE =
      Path.of("..", "packaging", "target", "havirt", "guest", "havirt-net-reconfig")
          .toAbsolutePath()
          .normalize();
  static final String[] DR_SITE = {
    "ConfigureNetwork", "1",
    "IPAddress", "10.2.0.15",
    "Netmask", "255.255.255.0",
    "Gateway", "10.2.0.1",
    "DNSServers", "10.2.0.53 10.2.1.53",
    "DNSSearchPath", "dr.example.com",
    "Device", "ens3"
  };

  @TempDir static Path root;
  static PrivateLibvirtd daemon;
  @TempDir Path work;
  LibvirtBackend backend;
  Path state;

  @BeforeAll
  static void startDaemon() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    assumeTrue(new File("/usr/bin/isoinfo").canExecute(), "isoinfo (Debian genisoimage) missing");
    daemon = PrivateLibvirtd.testDriver(root.resolve("tdrv"));
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    state = work.resolve("state");
    backend =
        new LibvirtBackend(
            new KvmSettings(
                daemon.uri(), state, "unused://%h", Optional.empty(), 4, Duration.ofSeconds(3)),
            Ticker.SYSTEM);
    backend.connect(deadline());
  }

  @AfterEach
  void tearDown() throws Exception {
    backend.close();
    for (String name : daemon.virsh("list", "--name").split("\n")) {
      String n = name.trim();
      if (!n.isEmpty() && !n.equals("test")) {
        daemon.virsh("destroy", n);
      }
    }
    for (String name : daemon.virsh("list", "--all", "--name").split("\n")) {
      String n = name.trim();
      if (!n.isEmpty() && !n.equals("test")) {
        daemon.virsh("undefine", n);
      }
    }
  }

  static Deadline deadline() {
    return Deadline.in(Duration.ofSeconds(20));
  }

  static GuestSpec spec(String guest, String... dr) {
    Map<String, AttributeValue> attrs = new LinkedHashMap<>();
    attrs.put("GuestName", new AttributeValue.Scalar(guest));
    if (dr.length > 0) {
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i < dr.length; i += 2) {
        m.put(dr[i], dr[i + 1]);
      }
      attrs.put("DROpts", new AttributeValue.Association(m));
    }
    return new GuestSpec("res_" + guest, attrs);
  }

  /** Runs a command that must succeed; returns its output. */
  static String run(String... cmd) throws Exception {
    PrivateLibvirtd.Result r = PrivateLibvirtd.run(List.of(cmd), Duration.ofSeconds(30));
    assertThat(r.exit()).as("%s: %s", String.join(" ", cmd), r.output()).isZero();
    return r.output();
  }

  @Test
  void drStartAttachesTheIsoAndTheGuestServiceAppliesIt() throws Exception {
    daemon.virsh(
        "define", Files.writeString(work.resolve("g.xml"), Guests.testXml("drg")).toString());
    GuestSpec g = spec("drg", DR_SITE);
    backend.start(g, deadline());

    Path iso = state.resolve("dr/drg.iso");
    String xml = daemon.virsh("dumpxml", "--inactive", "drg");
    assertThat(xml)
        .contains("<disk type='file' device='cdrom'>")
        .contains("<source file='" + iso + "'/>")
        .contains("<target dev='hda' bus='ide'/>")
        .contains("<readonly/>");
    assertThat(daemon.virsh("domstate", "drg").trim()).isEqualTo("running");

    // What the guest will read: exactly the payload, under its real name (Joliet).
    String payload = run("isoinfo", "-J", "-x", "/" + DrNetwork.PAYLOAD_FILE, "-i", iso.toString());
    assertThat(payload).isEqualTo(DrNetwork.parse(g).network().orElseThrow().payload());
    assertThat(run("isoinfo", "-J", "-f", "-i", iso.toString())).isEqualTo("/havirt-dr.conf\n");

    // The guest service, on a fake root, from the CD-ROM's contents. (This machine's kernel has
    // no iso9660 driver, so the image is read with isoinfo rather than mounted.)
    Path media = Files.createDirectories(work.resolve("cdrom"));
    Files.writeString(media.resolve(DrNetwork.PAYLOAD_FILE), payload);
    Path guestRoot = work.resolve("guest");
    Files.createDirectories(guestRoot.resolve("etc/NetworkManager"));
    Files.createDirectories(guestRoot.resolve("sys/class/net/ens3"));
    run(SERVICE.toString(), "--root", guestRoot.toString(), "--media", media.toString());
    assertThat(
            Files.readString(
                guestRoot.resolve(
                    "etc/NetworkManager/system-connections/havirt-dr-ens3.nmconnection")))
        .contains("interface-name=ens3\n")
        .contains("address1=10.2.0.15/24,10.2.0.1\n")
        .contains("dns=10.2.0.53;10.2.1.53;\n")
        .contains("dns-search=dr.example.com;\n");

    // A second DR start refreshes the image and keeps one CD-ROM.
    daemon.virsh("destroy", "drg");
    backend.start(spec("drg", DR_SITE), deadline());
    assertThat(daemon.virsh("dumpxml", "--inactive", "drg").split("device='cdrom'", -1)).hasSize(2);
  }

  @Test
  void startWithoutDrOptsRemovesAStalePayload() throws Exception {
    daemon.virsh(
        "define", Files.writeString(work.resolve("g.xml"), Guests.testXml("home")).toString());
    backend.start(spec("home", DR_SITE), deadline());
    Path iso = state.resolve("dr/home.iso");
    assertThat(iso).exists();
    daemon.virsh("destroy", "home");

    backend.start(spec("home"), deadline());
    assertThat(daemon.virsh("dumpxml", "--inactive", "home")).doesNotContain("cdrom");
    assertThat(iso).doesNotExist();
    assertThat(daemon.virsh("domstate", "home").trim()).isEqualTo("running");
  }

  @Test
  void unusableDrOptsAreRefusedBeforeAnythingChanges() throws Exception {
    daemon.virsh(
        "define", Files.writeString(work.resolve("g.xml"), Guests.testXml("bad")).toString());
    String before = daemon.virsh("dumpxml", "--inactive", "bad");
    GuestSpec bad =
        spec(
            "bad",
            "ConfigureNetwork",
            "1",
            "IPAddress",
            "10.2.0.15",
            "Netmask",
            "255.255.255.0",
            "Gateway",
            "10.3.0.1");
    assertThatThrownBy(() -> backend.start(bad, deadline()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("DROpts is not usable")
        .hasMessageContaining("outside the subnet");
    assertThat(daemon.virsh("domstate", "bad").trim()).isEqualTo("shut off");
    assertThat(daemon.virsh("dumpxml", "--inactive", "bad")).isEqualTo(before);
    assertThat(state.resolve("dr/bad.iso")).doesNotExist();
  }
}
