package org.havirt.backend.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.Test;

class KvmSettingsTest {
  @Test
  void defaultsAndTemplates() {
    KvmSettings d = KvmSettings.from(new VmBackendFactory.Settings(Map.of()));
    assertThat(d.uri()).isEqualTo("qemu:///system");
    assertThat(d.hypervisorUri("hv2.example.com")).isEqualTo("qemu+ssh://hv2.example.com/system");
    assertThat(d.dataUri("hv2")).isEmpty();
    assertThat(d.watchQemu()).isTrue();
    assertThat(
            KvmSettings.from(new VmBackendFactory.Settings(Map.of("qemu.watch", "false")))
                .watchQemu())
        .isFalse();
    KvmSettings s =
        KvmSettings.from(
            new VmBackendFactory.Settings(
                Map.of(
                    "libvirt.uri",
                    "qemu+tcp://h1/system",
                    "migrate.uri",
                    "qemu+tls://%h/system",
                    "migrate.data.uri",
                    "tcp://%h-mig")));
    assertThat(s.hypervisorUri("h2")).isEqualTo("qemu+tls://h2/system");
    assertThat(s.dataUri("h2")).contains("tcp://h2-mig");
  }

  @Test
  void aHostThatWouldChangeTheUriIsRefusedAndIpv6GoesInBrackets() {
    KvmSettings d = KvmSettings.from(new VmBackendFactory.Settings(Map.of()));
    for (String hostile :
        List.of("x/?command=/path", "a@b", "-oProxyCommand=touch /tmp/x", "a b", "")) {
      assertThatThrownBy(() -> d.hypervisorUri(hostile))
          .as(hostile)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a host name or IP address");
      assertThatThrownBy(() -> d.dataUri(hostile)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(d.hypervisorUri("2001:db8::2")).isEqualTo("qemu+ssh://[2001:db8::2]/system");
    assertThat(d.hypervisorUri("10.0.0.2")).isEqualTo("qemu+ssh://10.0.0.2/system");
  }

  @Test
  void onlyShutOffOrCrashedDomainsAreSafeToStartElsewhere() {
    for (int state = 0; state <= 7; state++) {
      assertThat(PeerGuard.isActive(state))
          .as("state %d", state)
          .isEqualTo(state != 5 && state != 6);
    }
    assertThat(PeerGuard.isActive(42)).as("unknown states count as active").isTrue();
  }

  @Test
  void theFactoryServesNonRhevGuests() {
    LibvirtBackendFactory f = new LibvirtBackendFactory();
    var kvm = new org.havirt.types.backend.GuestSpec("r", Map.of());
    var rhev =
        new org.havirt.types.backend.GuestSpec(
            "r",
            Map.of(
                "RHEVMInfo",
                new org.havirt.types.backend.AttributeValue.Association(Map.of("Enabled", "1"))));
    assertThat(f.serves(kvm)).isTrue();
    assertThat(f.serves(rhev)).isFalse();
    assertThat(f.name()).isEqualTo("kvm");
  }
}
