package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShippedTypesTest {
  @Test
  void shippedTypeFilesAreOnTheClasspath() {
    assertThat(ShippedTypes.kvmGuestTypesCf())
        .contains("type KVMGuest (")
        .contains("str GuestName");
    assertThat(ShippedTypes.frameworkTypesCf()).contains("type AgentFramework (");
  }
}
