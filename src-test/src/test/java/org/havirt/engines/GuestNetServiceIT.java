package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.Deadline;
import org.havirt.types.PasswordCipher;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.dr.DrNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest service havirt-net-reconfig against fake root directories. */
class GuestNetServiceIT {
  static final Path SCRIPT =
      Path.of("..", "packaging", "target", "havirt", "guest", "havirt-net-reconfig")
          .toAbsolutePath()
          .normalize();
  @TempDir Path dir;

  record Run(int exit, String out) {}

  Run service(Path root, Path media) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                SCRIPT.toString(), "--root", root.toString(), "--media", media.toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  Path root(String name, String kind, String... nics) throws IOException {
    Path r = dir.resolve(name);
    Files.createDirectories(r.resolve(kind));
    for (String n : nics) {
      Files.createDirectories(r.resolve("sys/class/net").resolve(n));
    }
    return r;
  }

  static GuestSpec spec(String... dr) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("ConfigureNetwork", "1");
    for (int i = 0; i < dr.length; i += 2) {
      m.put(dr[i], dr[i + 1]);
    }
    return new GuestSpec(
        "r",
        Map.of(
            "GuestName", new AttributeValue.Scalar("erp"),
            "DROpts", new AttributeValue.Association(m)));
  }

  Path media(String payload) throws IOException {
    Path m = Files.createDirectories(dir.resolve("media-" + payload.hashCode()));
    Files.writeString(m.resolve(DrNetwork.PAYLOAD_FILE), payload);
    return m;
  }

  @Test
  void thePayloadTheRhevBackendSetsBecomesANetworkManagerKeyfile() throws Exception {
    String payload;
    try (RhevmSimulator sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw")) {
      sim.model.addCluster("prod");
      sim.model.addCluster("dr");
      sim.model.addHost("h1", "prod");
      sim.model.addHost("d1", "dr");
      SimModel.Vm vm = sim.model.addVm("erp", "prod");
      PasswordCipher cipher = PasswordCipher.openOrCreate(dir.resolve("key"));
      Map<String, String> info = sim.rhevmInfo(cipher.encrypt("pw"), "dr");
      Map<String, AttributeValue> attrs =
          new LinkedHashMap<>(
              spec(
                      "IPAddress",
                      "10.2.0.15",
                      "Netmask",
                      "255.255.255.0",
                      "Gateway",
                      "10.2.0.1",
                      "DNSServers",
                      "10.2.0.53 10.2.1.53",
                      "DNSSearchPath",
                      "dr.example.com")
                  .attributes());
      attrs.put("RHEVMInfo", new AttributeValue.Association(info));
      try (RhevBackend b =
          new RhevBackend(
              new VmBackendFactory.Settings(
                  Map.of("rhev.host", "d1", "key.file", dir.resolve("key").toString())))) {
        b.start(new GuestSpec("erp_vm", attrs), Deadline.in(java.time.Duration.ofSeconds(30)));
      }
      payload = vm.payload.get(DrNetwork.PAYLOAD_FILE);
    }
    Path root = root("nm", "etc/NetworkManager", "lo", "ens3", "ens4");
    Run r = service(root, media(payload));
    assertThat(r.exit()).as(r.out()).isZero();
    Path file = root.resolve("etc/NetworkManager/system-connections/havirt-dr-ens3.nmconnection");
    assertThat(Files.readString(file))
        .contains("interface-name=ens3\n")
        .contains("[ipv4]\nmethod=manual\naddress1=10.2.0.15/24,10.2.0.1\n")
        .contains("dns=10.2.0.53;10.2.1.53;\n")
        .contains("dns-search=dr.example.com;\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void ifcfgForTheNamedDevice() throws Exception {
    String payload =
        DrNetwork.parse(
                spec(
                    "IPAddress",
                    "192.168.7.20",
                    "Netmask",
                    "24",
                    "Gateway",
                    "192.168.7.1",
                    "DNSServers",
                    "192.168.7.2 192.168.7.3",
                    "DNSSearchPath",
                    "a.example b.example",
                    "Device",
                    "eth1"))
            .network()
            .orElseThrow()
            .payload();
    Path root = root("rhel", "etc/sysconfig/network-scripts", "eth0", "eth1");
    assertThat(service(root, media(payload)).exit()).isZero();
    assertThat(Files.readAllLines(root.resolve("etc/sysconfig/network-scripts/ifcfg-eth1")))
        .containsSubsequence(
            "DEVICE='eth1'",
            "BOOTPROTO='none'",
            "NM_CONTROLLED='no'",
            "IPADDR='192.168.7.20'",
            "PREFIX='24'",
            "NETMASK='255.255.255.0'",
            "GATEWAY='192.168.7.1'",
            "DNS1='192.168.7.2'",
            "DNS2='192.168.7.3'",
            "DOMAIN='a.example b.example'");
  }

  @Test
  void ipv6WithNetworkManager() throws Exception {
    String payload =
        DrNetwork.parse(
                spec("IPAddress", "2001:db8::15", "Netmask", "64", "Gateway", "2001:db8::1"))
            .network()
            .orElseThrow()
            .payload();
    Path root = root("v6", "etc/NetworkManager", "ens3");
    assertThat(service(root, media(payload)).exit()).isZero();
    assertThat(
            Files.readString(
                root.resolve("etc/NetworkManager/system-connections/havirt-dr-ens3.nmconnection")))
        .contains("[ipv4]\nmethod=disabled\n")
        .contains(
            "[ipv6]\nmethod=manual\naddress1=2001:db8:0:0:0:0:0:15/64,2001:db8:0:0:0:0:0:1\n");
  }

  @Test
  void noPayloadNoChangeAndABadPayloadIsRefused() throws Exception {
    Path root = root("quiet", "etc/NetworkManager", "ens3");
    Path empty = Files.createDirectories(dir.resolve("empty-media"));
    Run none = service(root, empty);
    assertThat(none).isEqualTo(new Run(0, "havirt-net-reconfig: no DR payload: nothing to do\n"));
    Run evil =
        service(root, media("HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"$(reboot)\"\nPREFIX=\"8\"\n"));
    assertThat(evil.exit()).isEqualTo(1);
    assertThat(evil.out()).contains("refusing the payload: IPADDR: not an IPv4 address: $(reboot)");
    assertThat(root.resolve("etc/NetworkManager/system-connections")).doesNotExist();
    Run noTool =
        service(
            root("bare", "etc", "ens3"),
            media(
                DrNetwork.parse(spec("IPAddress", "10.0.0.2", "Netmask", "8"))
                    .network()
                    .orElseThrow()
                    .payload()));
    assertThat(noTool.exit()).isEqualTo(1);
    assertThat(noTool.out()).contains("neither NetworkManager nor network-scripts");
  }
}
