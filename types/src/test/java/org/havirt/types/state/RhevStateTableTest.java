package org.havirt.types.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RhevStateTableTest {

  /** Spec §4, RHEV table, row by row: status → (state, confidence). */
  private static final Map<RhevVmStatus, MonitorResult> SPEC =
      Map.ofEntries(
          Map.entry(RhevVmStatus.WAIT_FOR_LAUNCH, MonitorResult.online(10, "")),
          Map.entry(RhevVmStatus.POWERING_UP, MonitorResult.online(60, "")),
          Map.entry(RhevVmStatus.UP, MonitorResult.online(100, "")),
          Map.entry(RhevVmStatus.POWERING_DOWN, MonitorResult.online(40, "")),
          Map.entry(RhevVmStatus.PAUSED, MonitorResult.online(20, "")),
          Map.entry(RhevVmStatus.RESTORING_STATE, MonitorResult.online(50, "")),
          Map.entry(RhevVmStatus.DOWN, MonitorResult.offline("")),
          Map.entry(RhevVmStatus.SAVING_STATE, MonitorResult.intentionalOffline("")),
          Map.entry(RhevVmStatus.SUSPENDED, MonitorResult.intentionalOffline("")),
          Map.entry(RhevVmStatus.MIGRATING, MonitorResult.intentionalOffline("")),
          Map.entry(RhevVmStatus.REBOOT_IN_PROGRESS, MonitorResult.intentionalOffline("")),
          Map.entry(RhevVmStatus.IMAGE_LOCKED, MonitorResult.unknown("")),
          Map.entry(RhevVmStatus.UNKNOWN, MonitorResult.unknown("")),
          Map.entry(RhevVmStatus.NOT_RESPONDING, MonitorResult.unknown("")),
          Map.entry(RhevVmStatus.UNASSIGNED, MonitorResult.unknown("")));

  @Test
  void specCoversEveryStatus() {
    assertThat(SPEC.keySet()).isEqualTo(EnumSet.allOf(RhevVmStatus.class));
  }

  @ParameterizedTest
  @EnumSource(RhevVmStatus.class)
  void everyStatusMapsAsTheSpecSays(RhevVmStatus status) {
    MonitorResult result =
        VmStateTable.toMonitorResult(
            "rhev", RhevStateTable.classify(status.wireName()), StatePolicy.DEFAULT);
    MonitorResult expected = SPEC.get(status);
    assertThat(result.state()).isEqualTo(expected.state());
    assertThat(result.confidence()).isEqualTo(expected.confidence());
    assertThat(result.reason()).isEqualTo("rhev: " + status.wireName());
  }

  @Test
  void wireNamesAreParsedLeniently() {
    assertThat(RhevVmStatus.fromWire(" Up ")).contains(RhevVmStatus.UP);
    assertThat(RhevVmStatus.fromWire("wait_for_launch")).contains(RhevVmStatus.WAIT_FOR_LAUNCH);
    assertThat(RhevVmStatus.fromWire(null)).isEmpty();
  }

  @Test
  void garbageStatusIsUnknownWithTheRawTextKept() {
    VmStatus s = RhevStateTable.classify("exploded");
    assertThat(s.state()).isEqualTo(VmState.UNKNOWN);
    MonitorResult r = VmStateTable.toMonitorResult("rhev", s, StatePolicy.DEFAULT);
    assertThat(r.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(r.reason()).contains("'exploded'");
  }

  @Test
  void hostIsNamedInTheReason() {
    VmStatus s =
        new VmStatus(VmState.RUNNING_ELSEWHERE, "up", java.util.Optional.of("host2.example.com"));
    MonitorResult r = VmStateTable.toMonitorResult("rhev", s, StatePolicy.DEFAULT);
    assertThat(r.state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    assertThat(r.reason()).isEqualTo("rhev: up on host2.example.com");
  }
}
