package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostNamesTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "hv1",
        "hv-2.example.com",
        "10.0.0.1",
        "2001:db8::1",
        "[2001:db8::1]",
        "::ffff:10.0.0.1",
        "a",
        // VCS system names often hold underscores; they resolve through /etc/hosts.
        "node_a",
        "hv-2.example.com.",
        "_a.example"
      })
  void hostNamesAndIpLiteralsAreAccepted(String h) {
    assertThat(HostNames.problem(h)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "x/?command=/path",
        "a@b",
        "-oProxyCommand=touch /tmp/x",
        "a b",
        "hv1:22",
        "-hv",
        "hv-",
        "a..b",
        ".a",
        "a..",
        "hv1/system",
        "10.0.0.1/8",
        "1::2::3",
        "[hv1]",
        "a%h",
        "a\nb",
        "é.example"
      })
  void anythingElseIsRefused(String h) {
    assertThat(HostNames.problem(h)).isPresent();
    assertThatThrownBy(() -> HostNames.forUri(h))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not a host name or IP address");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2001:db8::1", "[2001:db8::1]"})
  void anIpv6LiteralGoesIntoAUriInBrackets(String h) {
    assertThat(HostNames.forUri(h)).isEqualTo("[2001:db8::1]");
    assertThat(HostNames.forUri("10.0.0.1")).isEqualTo("10.0.0.1");
    assertThat(HostNames.forUri("hv1.example")).isEqualTo("hv1.example");
  }
}
