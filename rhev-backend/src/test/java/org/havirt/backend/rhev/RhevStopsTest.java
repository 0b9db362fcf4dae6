package org.havirt.backend.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import org.havirt.backend.rhev.RhevHostIds.Place;
import org.havirt.backend.rhev.RhevHostIds.Where;
import org.havirt.backend.rhev.RhevStops.Verdict;
import org.havirt.types.state.RhevVmStatus;
import org.junit.jupiter.api.Test;

/** Spec §6 for offline and clean: every RHEV status at every kind of place. */
class RhevStopsTest {
  static final Place HERE = new Place(Where.HERE, "h1", "");
  static final Place ELSEWHERE = new Place(Where.ELSEWHERE, "h2", "");
  static final Place NO_HOST = new Place(Where.NO_HOST, "", "");
  static final Place UNESTABLISHED = new Place(Where.UNESTABLISHED, "", "it names host 42");

  static Verdict verdict(RhevVmStatus s, Place p) {
    return RhevStops.decide("vm", s, p).verdict();
  }

  @Test
  void aRunningVmIsStoppedOnlyWhenItRunsHere() {
    for (RhevVmStatus s :
        new RhevVmStatus[] {
          RhevVmStatus.WAIT_FOR_LAUNCH,
          RhevVmStatus.POWERING_UP,
          RhevVmStatus.UP,
          RhevVmStatus.POWERING_DOWN,
          RhevVmStatus.PAUSED,
          RhevVmStatus.RESTORING_STATE,
          RhevVmStatus.REBOOT_IN_PROGRESS,
          RhevVmStatus.SAVING_STATE,
          RhevVmStatus.NOT_RESPONDING
        }) {
      assertThat(verdict(s, HERE)).as(s.wireName()).isEqualTo(Verdict.ACT);
      assertThat(verdict(s, ELSEWHERE)).as(s.wireName()).isEqualTo(Verdict.NOTHING);
      assertThat(verdict(s, NO_HOST)).as(s.wireName()).isEqualTo(Verdict.REFUSE);
      assertThat(verdict(s, UNESTABLISHED)).as(s.wireName()).isEqualTo(Verdict.REFUSE);
    }
    assertThat(RhevStops.decide("vm", RhevVmStatus.UP, ELSEWHERE).message())
        .isEqualTo("VM vm runs on host h2; nothing to stop here");
  }

  @Test
  void aMigratingVmIsNeverStoppedFromAnywhere() {
    for (Place p : new Place[] {HERE, ELSEWHERE, NO_HOST, UNESTABLISHED}) {
      assertThat(verdict(RhevVmStatus.MIGRATING, p))
          .as(p.where().name())
          .isEqualTo(Verdict.NOTHING);
    }
    assertThat(RhevStops.decide("vm", RhevVmStatus.MIGRATING, HERE).message())
        .contains("migrating from host h1")
        .contains("not stopped from here");
  }

  @Test
  void aVmThatRunsNowhereIsLeftAloneAndAnUnsettledOneIsRefused() {
    for (Place p : new Place[] {HERE, ELSEWHERE, NO_HOST, UNESTABLISHED}) {
      assertThat(verdict(RhevVmStatus.DOWN, p)).isEqualTo(Verdict.NOTHING);
      assertThat(verdict(RhevVmStatus.SUSPENDED, p)).isEqualTo(Verdict.NOTHING);
      assertThat(verdict(RhevVmStatus.IMAGE_LOCKED, p)).isEqualTo(Verdict.NOTHING);
      assertThat(verdict(RhevVmStatus.UNASSIGNED, p)).isEqualTo(Verdict.REFUSE);
    }
    assertThat(verdict(RhevVmStatus.UNKNOWN, ELSEWHERE)).isEqualTo(Verdict.NOTHING);
    assertThat(verdict(RhevVmStatus.UNKNOWN, HERE)).isEqualTo(Verdict.REFUSE);
    assertThat(verdict(RhevVmStatus.UNKNOWN, UNESTABLISHED)).isEqualTo(Verdict.REFUSE);
  }
}
