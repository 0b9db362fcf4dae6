package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;

class ResourceResolverTest {
  private static ResourceResolver resolver(String text) {
    ConfigParser.ParseResult r = ConfigParser.parse("main.cf", text);
    assertThat(r.diagnostics()).isEmpty();
    List<Diagnostic> d = new ArrayList<>();
    return new ResourceResolver(
        ConfigModel.of(List.of(r.file())), TypeCatalog.from(List.of(r.file()), d));
  }

  private static final String CF =
      """
      system n1 ( PhysicalServer = hv1.example.com )
      system n2 ( )
      group g ( SystemList = { n1 = 0, n2 = 1, n3 = 2 } )
      KVMGuest vm (
          GuestName = guest1
          DelayAfterGuestOnline = 12
          GuestConfigFilePath@n1 = "/a.xml"
          GuestConfigFilePath@n2 = "/b.xml"
          RHEVMInfo = { Enabled = 1, URL = "https://m" }
          MonitorInterval = 20
      )
      """;

  @Test
  void defaultsThenResourceValuesThenThisSystemsValues() {
    GuestSpec n1 = resolver(CF).resolve("vm", "n1").orElseThrow().spec();
    assertThat(n1.guestName()).isEqualTo("guest1");
    assertThat(n1.integer("DelayAfterGuestOnline")).hasValue(12);
    assertThat(n1.integer("DelayAfterGuestOffline")).as("type default").hasValue(30);
    assertThat(n1.integer("MonitorInterval")).as("override of a framework default").hasValue(20);
    assertThat(n1.integer("OfflineMonitorInterval")).as("framework default").hasValue(300);
    assertThat(n1.integer("IntentionalOffline"))
        .as("the type's value wins over the framework's")
        .hasValue(1);
    assertThat(n1.string("GuestConfigFilePath")).contains("/a.xml");
    assertThat(resolver(CF).resolve("vm", "n2").orElseThrow().spec().string("GuestConfigFilePath"))
        .contains("/b.xml");
    // An association replaces the default whole, as in VCS.
    assertThat(n1.association("RHEVMInfo")).containsOnlyKeys("Enabled", "URL");
    assertThat(n1.attributes().get("SupportedActions"))
        .isEqualTo(new AttributeValue.Vector(List.of("guestmigrated", "vmconfigsync", "DevScan")));
  }

  @Test
  void peersAreTheOtherSystemsOfTheGroupByTheirHypervisor() {
    ResourceResolver r = resolver(CF);
    ResourceResolver.Resolved n2 = r.resolve("vm", "n2").orElseThrow();
    assertThat(n2.peerSystems()).containsExactly("n1", "n3");
    assertThat(n2.spec().peerHypervisors()).containsExactly("hv1.example.com", "n3");
    assertThat(r.hypervisorOf("n2")).isEqualTo("n2");
    assertThat(r.resolve("nope", "n1")).isEmpty();
  }
}
