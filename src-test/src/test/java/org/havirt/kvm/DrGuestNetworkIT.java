package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.GuestConsole;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.TestGuest;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.Deadline;
import org.havirt.types.PasswordCipher;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.dr.DrNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DR network as a booted guest sees it (issue 17 point 4): the test guest, started on a private
 * QEMU libvirtd, runs packaging's havirt-net-reconfig at boot from the CD-ROM it was given. The
 * guest has network-scripts and no NetworkManager, so the script writes an ifcfg file and calls
 * ifup (the test guest's stand-in for initscripts'), and the console shows the network it has.
 */
class DrGuestNetworkIT {
  static final Duration NET_SHOWN = TestGuest.BOOT_TIMEOUT.plusSeconds(30);
  @TempDir static Path root;
  static PrivateLibvirtd q;
  static TestGuest guest;

  @BeforeAll
  static void start() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    guest = TestGuest.get();
    q = PrivateLibvirtd.qemu(root.resolve("q"), "0e0e0e0e-0000-4000-8000-0000000000d7");
  }

  @AfterAll
  static void stop() throws Exception {
    if (q != null) {
      q.close();
    }
  }

  static Deadline deadline() {
    return Deadline.in(Duration.ofSeconds(60));
  }

  static Map<String, String> pairs(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  /**
   * Waits for the guest's report and returns its lines, "havirt-guest: net: " cut off; the
   * console's lines before the cursor (earlier boots) are not looked at.
   */
  static List<String> network(GuestConsole console) throws Exception {
    console.awaitLine("havirt-guest: net begin", NET_SHOWN);
    String end = "havirt-guest: net end";
    console.awaitLine(end, Duration.ofSeconds(30));
    String text = console.text().replace("\r", "");
    String block =
        text.substring(text.lastIndexOf("havirt-guest: net begin"), text.lastIndexOf(end));
    System.out.println(
        "guest console, this boot:\n" + text.substring(text.lastIndexOf(TestGuest.READY)));
    return block
        .lines()
        .filter(l -> l.startsWith("havirt-guest: net: "))
        .map(l -> l.substring("havirt-guest: net: ".length()))
        .toList();
  }

  @Test
  void aKvmDrStartConfiguresTheGuestsNetworkAndAPlainStartConfiguresNothing() throws Exception {
    TestGuest.Domain d = guest.domain("drnet", root.resolve("drnet.console")).nic().netIfcfg();
    q.virsh("define", d.writeXml(root.resolve("drnet.xml")).toString());
    Map<String, AttributeValue> attrs = new LinkedHashMap<>();
    attrs.put("GuestName", new AttributeValue.Scalar("drnet"));
    attrs.put(
        "DROpts",
        new AttributeValue.Association(
            pairs(
                "ConfigureNetwork", "1",
                "IPAddress", "10.2.0.15",
                "Netmask", "255.255.255.0",
                "Gateway", "10.2.0.1",
                "DNSServers", "10.2.0.53 10.2.1.53",
                "DNSSearchPath", "dr.example.com example.com",
                "Device", "eth0")));
    GuestSpec dr = new GuestSpec("res_drnet", attrs);
    GuestSpec plain =
        new GuestSpec("res_drnet", Map.of("GuestName", new AttributeValue.Scalar("drnet")));
    GuestConsole console = d.console();
    try (LibvirtBackend backend =
        new LibvirtBackend(
            new KvmSettings(
                q.uri(),
                root.resolve("state"),
                "unused://%h",
                Optional.empty(),
                4,
                Duration.ofSeconds(3)),
            Ticker.SYSTEM)) {
      backend.connect(deadline());

      backend.start(dr, deadline());
      assertThat(console.awaitLine("havirt-net-reconfig: wrote", NET_SHOWN))
          .endsWith("wrote /etc/sysconfig/network-scripts/ifcfg-eth0");
      assertThat(console.awaitLine("havirt-net-reconfig exited", NET_SHOWN)).endsWith("exited 0");
      assertThat(console.awaitLine("havirt-guest: network: ", NET_SHOWN))
          .endsWith("eth0 up from /etc/sysconfig/network-scripts/ifcfg-eth0");
      List<String> net = network(console);
      assertThat(net)
          .anySatisfy(l -> assertThat(l).contains("eth0"))
          .anySatisfy(l -> assertThat(l).contains("inet 10.2.0.15/24 "))
          .anySatisfy(l -> assertThat(l).startsWith("default via 10.2.0.1 dev eth0"))
          .contains(
              "search dr.example.com example.com", "nameserver 10.2.0.53", "nameserver 10.2.1.53");
      q.virsh("destroy", "drnet");

      // Back home: the start without DROpts removes the payload, and the guest takes nothing.
      console.skipToEnd();
      backend.start(plain, deadline());
      assertThat(q.virsh("dumpxml", "--inactive", "drnet")).doesNotContain("cdrom");
      console.awaitLine("havirt-net-reconfig: no DR payload: nothing to do", NET_SHOWN);
      assertThat(network(console))
          .noneSatisfy(l -> assertThat(l).contains("10.2."))
          .noneSatisfy(l -> assertThat(l).contains("default"))
          .contains("no /etc/resolv.conf");
      q.virsh("destroy", "drnet");
    }
  }

  /**
   * The RHEV path stays on the simulator; what it stored as the VM's CD-ROM payload becomes an ISO
   * image (genisoimage, as RHEV-M's own tooling would, not havirt's writer) that the guest boots
   * with once.
   */
  @Test
  void theRhevPayloadConfiguresTheGuestsNetwork() throws Exception {
    Map<String, String> payload;
    try (RhevmSimulator sim = new RhevmSimulator(root.resolve("sim"), 0, "admin@internal", "pw")) {
      sim.model.addCluster("prod");
      sim.model.addCluster("dr");
      sim.model.addHost("h1", "prod");
      sim.model.addHost("d1", "dr");
      SimModel.Vm vm = sim.model.addVm("erp", "prod");
      Path key = root.resolve("havirt.key");
      String password =
          PasswordCipher.openOrCreate(key).encryptFor("pw", sim.url(), "admin@internal");
      Map<String, AttributeValue> attrs = new LinkedHashMap<>();
      attrs.put("GuestName", new AttributeValue.Scalar("erp"));
      attrs.put("RHEVMInfo", new AttributeValue.Association(sim.rhevmInfo(password, "dr")));
      attrs.put(
          "DROpts",
          new AttributeValue.Association(
              pairs(
                  "ConfigureNetwork", "1",
                  "IPAddress", "192.168.77.130",
                  "Netmask", "/25",
                  "Gateway", "192.168.77.129",
                  "DNSServers", "192.168.77.253",
                  "DNSSearchPath", "drsite.example.org")));
      try (RhevBackend rhev =
          new RhevBackend(
              new VmBackendFactory.Settings(
                  Map.of("rhev.host", "d1", "key.file", key.toString())))) {
        rhev.start(new GuestSpec("erp_vm", attrs), deadline());
      }
      payload = Map.copyOf(vm.payload);
    }
    assertThat(payload).containsOnlyKeys(DrNetwork.PAYLOAD_FILE);
    Path files = Files.createDirectories(root.resolve("rhev-payload"));
    Files.writeString(files.resolve(DrNetwork.PAYLOAD_FILE), payload.get(DrNetwork.PAYLOAD_FILE));
    Path iso = root.resolve("rhev-payload.iso");
    PrivateLibvirtd.Result mk =
        PrivateLibvirtd.run(
            List.of(
                "genisoimage",
                "-quiet",
                "-J",
                "-r",
                "-V",
                "PAYLOAD",
                "-o",
                iso.toString(),
                files.toString()),
            Duration.ofSeconds(30));
    assertThat(mk.exit()).as(mk.output()).isZero();

    // No Device in DROpts: the script takes the first NIC.
    TestGuest.Domain d =
        guest.domain("rhevnet", root.resolve("rhevnet.console")).nic().netIfcfg().cdrom(iso);
    q.virsh("define", d.writeXml(root.resolve("rhevnet.xml")).toString());
    q.virsh("start", "rhevnet");
    GuestConsole console = d.console();
    assertThat(console.awaitLine("havirt-net-reconfig exited", NET_SHOWN)).endsWith("exited 0");
    assertThat(console.awaitLine("havirt-guest: network: ", NET_SHOWN))
        .endsWith("eth0 up from /etc/sysconfig/network-scripts/ifcfg-eth0");
    assertThat(network(console))
        .anySatisfy(l -> assertThat(l).contains("inet 192.168.77.130/25 "))
        .anySatisfy(l -> assertThat(l).startsWith("default via 192.168.77.129 dev eth0"))
        .contains("search drsite.example.org", "nameserver 192.168.77.253");
    q.virsh("destroy", "rhevnet");
  }
}
