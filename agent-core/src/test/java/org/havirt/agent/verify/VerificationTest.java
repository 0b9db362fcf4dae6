package org.havirt.agent.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.havirt.types.backend.Check;
import org.junit.jupiter.api.Test;

/** Issue 14.3: a validation is "guest absent" only when that is its one failure. */
class VerificationTest {
  static final Check LIBVIRTD = Check.pass("libvirtd", "libvirtd at test:///x is reachable");
  static final Check ABSENT = Check.absent("guest", "guest ghost is not defined", "define it");

  @Test
  void absentOnlyWhenTheCertainCheckIsTheOnlyFailure() {
    assertThat(new Verification("r", false, List.of(LIBVIRTD, ABSENT)).guestAbsent()).isTrue();
    Check badDrOpts = Check.fail("dropts", "DROpts is not usable", "fix it");
    assertThat(new Verification("r", false, List.of(LIBVIRTD, ABSENT, badDrOpts)).guestAbsent())
        .as("a bad attribute beside it")
        .isFalse();
    Check unreadable = Check.fail("guest", "cannot read /x.xml: Is a directory", "fix it");
    assertThat(new Verification("r", false, List.of(LIBVIRTD, unreadable)).guestAbsent()).isFalse();
    assertThat(new Verification("r", false, List.of(LIBVIRTD)).guestAbsent())
        .as("passed")
        .isFalse();
  }

  @Test
  void aPassedCheckCannotSayAbsent() {
    assertThatThrownBy(() -> new Check("guest", true, "defined", "", true))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Check.fail("guest", "x", "y").guestAbsent()).isFalse();
  }
}
