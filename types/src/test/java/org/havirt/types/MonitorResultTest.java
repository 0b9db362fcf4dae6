package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MonitorResultTest {

  @Test
  void confidenceOnlyForOnline() {
    assertThatThrownBy(() -> MonitorResult.online(0, "r"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MonitorResult.online(101, "r"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MonitorResult(ResourceState.OFFLINE, 10, "r"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void printsLikeVcs() {
    assertThat(MonitorResult.online(60, "rhev: powering_up"))
        .hasToString("ONLINE(60) rhev: powering_up");
    assertThat(MonitorResult.intentionalOffline("m")).hasToString("INTENTIONAL OFFLINE m");
  }
}
