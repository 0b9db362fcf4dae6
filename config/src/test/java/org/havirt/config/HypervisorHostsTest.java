package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * main.cf: a PhysicalServer (or a system name standing for it) goes into the libvirt URI template,
 * so loading refuses anything but a host name or IP literal (issue 15, point 6).
 */
class HypervisorHostsTest {
  @TempDir Path dir;

  List<String> errors(String mainCf) throws Exception {
    Files.writeString(dir.resolve("main.cf"), mainCf);
    return ConfigCheck.check(dir.resolve("main.cf"), List.of()).diagnostics().stream()
        .filter(Diagnostic::isError)
        .map(Diagnostic::toString)
        .toList();
  }

  static String config(String physicalServer) {
    return "system a ( PhysicalServer = \"hv1.example\" )\n"
        + "system b ( PhysicalServer = \""
        + physicalServer
        + "\" )\n"
        + "group g ( SystemList = { a = 0, b = 1 } )\n"
        + "KVMGuest vm ( GuestName = g1 )\n";
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"x/?command=/path", "a@b", "-oProxyCommand=touch /tmp/x", "hv 2", "hv2:22"})
  void aPhysicalServerThatWouldChangeTheUriIsRefusedAtLoad(String hostile) throws Exception {
    assertThat(errors(config(hostile)))
        .containsExactly(
            dir.resolve("main.cf")
                + ":2:12: error: PhysicalServer of system 'b': '"
                + hostile
                + "' is not a host name or IP address: it is neither an IP address nor a host"
                + " name (labels of letters, digits, underscores and inner hyphens, separated by dots); it is"
                + " the host in the libvirt URI of group 'g's guests: set PhysicalServer to the"
                + " hypervisor's host name or address");
  }

  @Test
  void hostNamesAndAddressesAreAccepted() throws Exception {
    for (String ok : List.of("hv2", "hv2.example.com", "10.0.0.2", "2001:db8::2")) {
      assertThat(errors(config(ok))).as(ok).isEmpty();
    }
  }

  @Test
  void aSystemNameStandsForItsHostWhenItHasNoPhysicalServer() throws Exception {
    assertThat(
            errors(
                "system a- ( )\ngroup g ( SystemList = { a- = 0 } )\nKVMGuest vm ( GuestName = g1 )\n"))
        .singleElement()
        .asString()
        .contains("system 'a-' (it has no PhysicalServer): 'a-' is not a host name");
    // Underscores are common in VCS system names and resolve through /etc/hosts.
    assertThat(
            errors(
                "system a_1 ( )\ngroup g ( SystemList = { a_1 = 0 } )\nKVMGuest vm ( GuestName = g1 )\n"))
        .isEmpty();
  }

  @Test
  void anEmptyPhysicalServerFallsBackToTheSystemName() throws Exception {
    assertThat(errors(config(""))).isEmpty();
  }

  @Test
  void rhevGuestsAreLeftAlone() throws Exception {
    assertThat(
            errors(
                "system a ( PhysicalServer = \"rhev_host 1\" )\n"
                    + "group g ( SystemList = { a = 0 } )\n"
                    + "KVMGuest vm ( GuestName = g1\n RHEVMInfo = { Enabled = 1, URL = \"https://m\","
                    + " User = \"admin@internal\", Password = \"x\", Cluster = c } )\n"))
        .noneMatch(e -> e.contains("PhysicalServer"));
  }
}
