package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScriptExitCodesTest {

  @Test
  void monitorCodesMatchVcs() {
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.unknown("r"))).isEqualTo(99);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.offline("r"))).isEqualTo(100);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.online(10, "r"))).isEqualTo(101);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.online(60, "r"))).isEqualTo(106);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.online(100, "r"))).isEqualTo(110);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.intentionalOffline("r"))).isEqualTo(200);
  }

  @Test
  void lowConfidenceStaysOnline() {
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.online(1, "r"))).isEqualTo(101);
    assertThat(ScriptExitCodes.monitorCode(MonitorResult.online(55, "r"))).isEqualTo(106);
  }

  @ParameterizedTest
  @ValueSource(ints = {101, 102, 103, 104, 105, 106, 107, 108, 109, 110})
  void onlineCodesRoundTrip(int code) {
    MonitorResult r = ScriptExitCodes.fromMonitorCode(code, "r");
    assertThat(r.state()).isEqualTo(ResourceState.ONLINE);
    assertThat(r.confidence()).isEqualTo((code - 100) * 10);
    assertThat(ScriptExitCodes.monitorCode(r)).isEqualTo(code);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 98, 111, 199, 201, 255, -1})
  void otherCodesAreUnknown(int code) {
    MonitorResult r = ScriptExitCodes.fromMonitorCode(code, "r");
    assertThat(r.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(r.reason()).contains(Integer.toString(code));
  }

  @Test
  void waitAndMigrateCodesAreBounded() {
    assertThat(ScriptExitCodes.waitCode(-5)).isZero();
    assertThat(ScriptExitCodes.waitCode(30)).isEqualTo(30);
    assertThat(ScriptExitCodes.waitCode(100_000)).isEqualTo(255);
    assertThat(ScriptExitCodes.migrateCode(0)).isZero();
    assertThat(ScriptExitCodes.migrateCode(25)).isEqualTo(3);
    assertThat(ScriptExitCodes.migrateCode(5_000)).isEqualTo(100);
  }
}
