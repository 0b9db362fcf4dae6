package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EntryPointTest {
  @Test
  void scriptNamesAndReasonCodes() {
    assertThat(EntryPoint.fromScriptName("attr_changed")).contains(EntryPoint.ATTR_CHANGED);
    assertThat(EntryPoint.fromScriptName("ONLINE")).contains(EntryPoint.ONLINE);
    assertThat(EntryPoint.fromScriptName("info")).isEmpty();
    assertThat(EntryPoint.CLEAN.timeoutAttribute()).isEqualTo("CleanTimeout");
    for (CleanReason r : CleanReason.values()) {
      assertThat(CleanReason.fromCode(r.code())).contains(r);
    }
    assertThat(CleanReason.fromCode(4)).contains(CleanReason.UNEXPECTED_OFFLINE);
    assertThat(CleanReason.fromCode(6)).isEmpty();
  }
}
