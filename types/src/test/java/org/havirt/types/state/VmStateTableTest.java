package org.havirt.types.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VmStateTableTest {

  @ParameterizedTest
  @EnumSource(VmState.class)
  void everyNeutralStateHasAResult(VmState state) {
    MonitorResult r =
        VmStateTable.toMonitorResult("x", VmStatus.of(state, "w"), StatePolicy.DEFAULT);
    assertThat(r.reason()).startsWith("x: w");
    // Whatever the table says, uncertainty must never read as OFFLINE (that would fail over).
    if (state == VmState.UNKNOWN || state == VmState.LOCKED) {
      assertThat(r.state()).isEqualTo(ResourceState.UNKNOWN);
    }
  }
}
