package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class NodeOptionsTest {
  @Command(name = "t")
  static class Cmd {
    @Mixin NodeOptions node = new NodeOptions();
  }

  static NodeOptions parse(String... args) {
    Cmd c = new Cmd();
    new CommandLine(c).parseArgs(args);
    return c.node;
  }

  @Test
  void theQemuWatchIsOnUnlessSwitchedOff() {
    // HAVIRT_QEMU_WATCH is not set under the build: the default applies.
    assertThat(parse().settings().get("qemu.watch")).contains("true");
    assertThat(parse("--no-qemu-watch").settings().get("qemu.watch")).contains("false");
    assertThat(parse("--qemu-watch").settings().get("qemu.watch")).contains("true");
  }

  @Test
  void everyNodeSettingReachesTheBackends() {
    var s =
        parse("--libvirt-uri", "qemu+unix:///system", "--state-dir", "/srv/h", "--key-file", "/k")
            .settings();
    assertThat(s.get("libvirt.uri")).contains("qemu+unix:///system");
    assertThat(s.get("state.dir")).contains("/srv/h");
    assertThat(s.get("key.file")).contains("/k");
  }

  @Test
  void theRhevCaFileIsANodeSettingOnlyWhenGiven() {
    // HAVIRT_RHEV_CA_FILE is not set under the build: no node CA, the system's CAs apply.
    assertThat(parse().settings().get("rhev.ca.file")).isEmpty();
    assertThat(parse("--rhev-ca-file", "/etc/havirt/rhevm-ca.pem").settings().get("rhev.ca.file"))
        .contains("/etc/havirt/rhevm-ca.pem");
    assertThat(parse("--rhev-ca-file", "").settings().get("rhev.ca.file")).isEmpty();
  }

  @Test
  void theRhevAnswerCapIs64MibUnlessGivenAndAtLeastOneByte() {
    assertThat(parse().settings().get("rhev.max.response.bytes")).contains("67108864");
    assertThat(
            parse("--rhev-max-response-bytes", "268435456")
                .settings()
                .get("rhev.max.response.bytes"))
        .contains("268435456");
    assertThatThrownBy(() -> parse("--rhev-max-response-bytes", "0"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--rhev-max-response-bytes must be at least 1, not 0");
  }
}
