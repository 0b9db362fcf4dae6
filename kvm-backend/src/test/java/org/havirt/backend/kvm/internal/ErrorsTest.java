package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.havirt.types.backend.BackendException.Kind;
import org.junit.jupiter.api.Test;

class ErrorsTest {
  @Test
  void libvirtCodesMapToKinds() {
    assertThat(Errors.kindOf(42)).isEqualTo(Kind.NOT_FOUND); // VIR_ERR_NO_DOMAIN
    assertThat(Errors.kindOf(39)).isEqualTo(Kind.TRANSIENT); // VIR_ERR_RPC
    assertThat(Errors.kindOf(38)).isEqualTo(Kind.TRANSIENT); // VIR_ERR_SYSTEM_ERROR
    assertThat(Errors.kindOf(45)).isEqualTo(Kind.PERMISSION); // VIR_ERR_AUTH_FAILED
    assertThat(Errors.kindOf(27)).isEqualTo(Kind.MISCONFIGURED); // VIR_ERR_XML_ERROR
    assertThat(Errors.kindOf(3)).isEqualTo(Kind.UNSUPPORTED); // VIR_ERR_NO_SUPPORT
    assertThat(Errors.kindOf(55)).isEqualTo(Kind.FAILED); // VIR_ERR_OPERATION_INVALID
    assertThat(Errors.kindOf(100_000)).isEqualTo(Kind.FAILED);
    assertThat(Errors.kindOf(-1)).isEqualTo(Kind.FAILED);
  }
}
