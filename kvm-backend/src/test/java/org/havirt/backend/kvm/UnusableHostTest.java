package org.havirt.backend.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.havirt.types.Deadline;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.Test;

/**
 * A peer host that is not a host name or IP literal, should one get past config load and
 * add/modify: nothing is called with a URI it would have changed (issue 15, point 6).
 */
class UnusableHostTest {
  static final String HOSTILE = "x/?command=/path";
  final KvmSettings settings = KvmSettings.from(new VmBackendFactory.Settings(Map.of()));
  final GuestSpec guest =
      new GuestSpec(
          "r", Map.of("GuestName", new AttributeValue.Scalar("vm1")), List.of("hv2", HOSTILE));

  @Test
  void theSplitBrainGuardRefusesToStartWithoutLookingAnywhere() {
    // No call pool: a lookup would fail with a NullPointerException, not the refusal.
    assertThatThrownBy(
            () -> new PeerGuard(settings, null).check(guest, Deadline.in(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(BackendException.Kind.MISCONFIGURED);
              assertThat(e.getMessage())
                  .startsWith("peer '" + HOSTILE + "' is not a host name or IP address")
                  .endsWith("refusing to start without checking it");
            });
  }

  @Test
  void aMigrationToItFailsBeforeAnyCall() {
    assertThatThrownBy(
            () ->
                new Migrator(settings, null, null, null)
                    .migrate(
                        guest,
                        new MigrationTarget("b", HOSTILE),
                        Deadline.in(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(BackendException.Kind.MISCONFIGURED);
              assertThat(e.getMessage()).startsWith("migration target '" + HOSTILE + "' is not");
            });
  }

  @Test
  void verifysMigrationUriCheckFails() {
    List<Check> out = new ArrayList<>();
    new KvmChecks(null, null, settings).migrationUris(guest, out);
    assertThat(out)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.name()).isEqualTo("migration-uri");
              assertThat(c.passed()).isFalse();
              assertThat(c.detail())
                  .startsWith("peer '" + HOSTILE + "' is not a host name or IP address");
            });
  }
}
