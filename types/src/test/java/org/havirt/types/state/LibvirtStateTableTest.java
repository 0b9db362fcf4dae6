package org.havirt.types.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class LibvirtStateTableTest {

  private static MonitorResult map(int state, int reason, StatePolicy policy) {
    return VmStateTable.toMonitorResult(
        "libvirt", LibvirtStateTable.classify(state, reason), policy);
  }

  private static MonitorResult map(int state, int reason) {
    return map(state, reason, StatePolicy.DEFAULT);
  }

  /** Spec §4, KVM table: every (state, reason) the table names, with its expected result. */
  static Stream<Arguments> specRows() {
    return Stream.of(
        // running, blocked/idle → ONLINE 100
        Arguments.of(1, 1, ResourceState.ONLINE, 100, "running (booted)"),
        Arguments.of(1, 2, ResourceState.ONLINE, 100, "running (migrated)"),
        Arguments.of(2, 0, ResourceState.ONLINE, 100, "blocked (unknown)"),
        // paused (starting_up, migration on the target, post-copy) → ONLINE 10
        Arguments.of(3, 11, ResourceState.ONLINE, 10, "paused (starting up)"),
        Arguments.of(3, 2, ResourceState.ONLINE, 10, "paused (migrating)"),
        Arguments.of(3, 12, ResourceState.ONLINE, 10, "paused (post-copy)"),
        // paused (user, snapshot, dump, shutting_down) → ONLINE 20
        Arguments.of(3, 1, ResourceState.ONLINE, 20, "paused (user)"),
        Arguments.of(3, 9, ResourceState.ONLINE, 20, "paused (creating snapshot)"),
        Arguments.of(3, 4, ResourceState.ONLINE, 20, "paused (dumping)"),
        Arguments.of(3, 8, ResourceState.ONLINE, 20, "paused (shutting down)"),
        // paused (save) → INTENTIONAL OFFLINE
        Arguments.of(3, 3, ResourceState.INTENTIONAL_OFFLINE, 0, "paused (saving)"),
        // shutdown (in shutdown) → ONLINE 40
        Arguments.of(4, 1, ResourceState.ONLINE, 40, "in shutdown (user)"),
        // shutoff (migrated), shutoff (saved) → INTENTIONAL OFFLINE
        Arguments.of(5, 4, ResourceState.INTENTIONAL_OFFLINE, 0, "shut off (migrated)"),
        Arguments.of(5, 5, ResourceState.INTENTIONAL_OFFLINE, 0, "shut off (saved)"),
        // pmsuspended → INTENTIONAL OFFLINE
        Arguments.of(7, 0, ResourceState.INTENTIONAL_OFFLINE, 0, "pmsuspended (unknown)"),
        // shutoff (any other reason), crashed → OFFLINE
        Arguments.of(5, 1, ResourceState.OFFLINE, 0, "shut off (shutdown)"),
        Arguments.of(5, 2, ResourceState.OFFLINE, 0, "shut off (destroyed)"),
        Arguments.of(5, 3, ResourceState.OFFLINE, 0, "shut off (crashed)"),
        Arguments.of(5, 6, ResourceState.OFFLINE, 0, "shut off (failed)"),
        Arguments.of(5, 0, ResourceState.OFFLINE, 0, "shut off (unknown)"),
        Arguments.of(6, 1, ResourceState.OFFLINE, 0, "crashed (panicked)"),
        // nostate → UNKNOWN
        Arguments.of(0, 0, ResourceState.UNKNOWN, 0, "no state (unknown)"));
  }

  @ParameterizedTest(name = "state {0} reason {1} -> {2}({3})")
  @MethodSource("specRows")
  void specRowsMapAsTheSpecSays(
      int state, int reason, ResourceState expected, int confidence, String words) {
    MonitorResult r = map(state, reason);
    assertThat(r.state()).isEqualTo(expected);
    assertThat(r.confidence()).isEqualTo(confidence);
    assertThat(r.reason()).isEqualTo("libvirt: " + words);
  }

  @ParameterizedTest
  @EnumSource(LibvirtReasons.Running.class)
  void everyRunningReasonIsOnline100(LibvirtReasons.Running reason) {
    assertThat(map(1, reason.ordinal()))
        .isEqualTo(MonitorResult.online(100, "libvirt: running (" + reason.label() + ")"));
  }

  @ParameterizedTest
  @EnumSource(LibvirtReasons.Paused.class)
  void everyPausedReasonHasADecidedMapping(LibvirtReasons.Paused reason) {
    MonitorResult r = map(3, reason.ordinal());
    ResourceState expected =
        switch (reason) {
          case SAVE -> ResourceState.INTENTIONAL_OFFLINE;
          case IOERROR, CRASHED -> ResourceState.OFFLINE;
          case POSTCOPY_FAILED -> ResourceState.UNKNOWN;
          default -> ResourceState.ONLINE;
        };
    assertThat(r.state()).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(LibvirtReasons.Shutoff.class)
  void everyShutoffReasonIsOfflineUnlessIntentional(LibvirtReasons.Shutoff reason) {
    MonitorResult r = map(5, reason.ordinal());
    boolean intentional =
        reason == LibvirtReasons.Shutoff.MIGRATED || reason == LibvirtReasons.Shutoff.SAVED;
    assertThat(r.state())
        .isEqualTo(intentional ? ResourceState.INTENTIONAL_OFFLINE : ResourceState.OFFLINE);
  }

  @ParameterizedTest
  @EnumSource(LibvirtDomainState.class)
  void everyStateClassifiesWithItsOwnWords(LibvirtDomainState state) {
    VmStatus s = LibvirtStateTable.classify(state.code(), 0);
    assertThat(s.native_()).startsWith(state.label() + " (");
  }

  @Test
  void pausedOnIoErrorFollowsThePolicy() {
    assertThat(map(3, 5, new StatePolicy(true)).state()).isEqualTo(ResourceState.OFFLINE);
    MonitorResult vcs = map(3, 5, new StatePolicy(false));
    assertThat(vcs.state()).isEqualTo(ResourceState.ONLINE);
    assertThat(vcs.confidence()).isEqualTo(20);
    assertThat(vcs.reason()).contains("I/O error");
  }

  @Test
  void unrecognisedStateCodeIsUnknownNeverOffline() {
    MonitorResult r = map(42, 0);
    assertThat(r.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(r.reason()).contains("42");
  }

  @Test
  void unrecognisedReasonKeepsTheStatesMeaning() {
    assertThat(map(5, 99).state()).isEqualTo(ResourceState.OFFLINE);
    assertThat(map(3, 99)).isEqualTo(MonitorResult.online(20, "libvirt: paused (reason 99)"));
    assertThat(map(1, 99).state()).isEqualTo(ResourceState.ONLINE);
  }
}
