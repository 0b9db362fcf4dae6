package org.havirt.types.dr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;

class DrNetworkTest {
  private static GuestSpec spec(String... kv) {
    Map<String, String> dr = new LinkedHashMap<>();
    dr.put("ConfigureNetwork", "1");
    for (int i = 0; i < kv.length; i += 2) {
      dr.put(kv[i], kv[i + 1]);
    }
    return new GuestSpec(
        "r",
        Map.of(
            "GuestName",
            new AttributeValue.Scalar("vm"),
            "DROpts",
            new AttributeValue.Association(dr)));
  }

  @Test
  void aCompleteIpv4SiteBecomesThePayload() {
    DrNetwork.Parsed p =
        DrNetwork.parse(
            spec(
                "IPAddress", "10.20.30.40",
                "Netmask", "255.255.254.0",
                "Gateway", "10.20.31.254",
                "DNSServers", "10.0.0.53 10.0.1.53",
                "DNSSearchPath", "dr.example.com example.com",
                "Device", "eth1"));
    assertThat(p.problems()).isEmpty();
    DrNetwork n = p.network().orElseThrow();
    assertThat(n.prefix()).isEqualTo(23);
    assertThat(n.payload())
        .contains("HAVIRT_DR_VERSION=\"1\"\n")
        .contains("DEVICE=\"eth1\"\n")
        .contains("FAMILY=\"inet\"\n")
        .contains("IPADDR=\"10.20.30.40\"\n")
        .contains("PREFIX=\"23\"\n")
        .contains("NETMASK=\"255.255.254.0\"\n")
        .contains("GATEWAY=\"10.20.31.254\"\n")
        .contains("DNS=\"10.0.0.53 10.0.1.53\"\n")
        .contains("SEARCH=\"dr.example.com example.com\"\n");
  }

  @Test
  void ipv6WithAPrefixLength() {
    DrNetwork.Parsed p =
        DrNetwork.parse(
            spec("IPAddress", "2001:db8::10", "Netmask", "/64", "Gateway", "2001:db8::1"));
    assertThat(p.problems()).isEmpty();
    assertThat(p.network().orElseThrow().payload())
        .contains("FAMILY=\"inet6\"")
        .contains("PREFIX=\"64\"")
        .contains("NETMASK=\"\"")
        .contains("DEVICE=\"\"");
  }

  @Test
  void everyProblemIsReportedWithTheKeyToFix() {
    DrNetwork.Parsed p =
        DrNetwork.parse(
            spec(
                "IPAddress", "10.0.0.300",
                "Netmask", "255.0.255.0",
                "Gateway", "dr-gw",
                "DNSServers", "8.8.8.8 resolver",
                "DNSSearchPath", "ok.example bad_domain!",
                "Device", "eth0; reboot"));
    assertThat(p.network()).isEmpty();
    assertThat(p.problems())
        .anySatisfy(s -> assertThat(s).startsWith("DROpts.Device 'eth0; reboot'"))
        .anySatisfy(s -> assertThat(s).startsWith("DROpts.IPAddress '10.0.0.300'"))
        .anySatisfy(s -> assertThat(s).startsWith("DROpts.Gateway 'dr-gw'"))
        .anySatisfy(s -> assertThat(s).startsWith("DROpts.DNSServers: 'resolver'"))
        .anySatisfy(s -> assertThat(s).startsWith("DROpts.DNSSearchPath: 'bad_domain!'"))
        .hasSize(5);
  }

  @Test
  void aNonContiguousNetmaskIsRefused() {
    assertThat(DrNetwork.parse(spec("IPAddress", "10.0.0.5", "Netmask", "255.0.255.0")).problems())
        .containsExactly(
            "DROpts.Netmask '255.0.255.0' is not a contiguous IPv4 netmask or a prefix length 0-32");
  }

  @Test
  void aGatewayOutsideTheSubnetNamesTheSubnet() {
    assertThat(
            DrNetwork.parse(
                    spec("IPAddress", "192.168.5.10", "Netmask", "24", "Gateway", "192.168.6.1"))
                .problems())
        .containsExactly("DROpts.Gateway 192.168.6.1 is outside the subnet 192.168.5.0/24");
  }

  @Test
  void addressAndNetmaskAreRequired() {
    assertThat(DrNetwork.parse(spec()).problems())
        .containsExactly(
            "DROpts.IPAddress is not set (the guest's address at this site)",
            "DROpts.Netmask is not set (e.g. 255.255.255.0 or 24)");
  }

  @Test
  void hostNamesAreNeverLookedUp() {
    assertThat(DrNetwork.address("localhost")).isEmpty();
    assertThat(DrNetwork.address("1.2.3")).isEmpty();
  }

  @Test
  void requestedOnlyWithConfigureNetworkOne() {
    assertThat(DrNetwork.requested(spec())).isTrue();
    assertThat(DrNetwork.requested(new GuestSpec("r", Map.of()))).isFalse();
  }
}
