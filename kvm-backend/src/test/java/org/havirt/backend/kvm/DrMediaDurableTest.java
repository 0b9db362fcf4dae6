package org.havirt.backend.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.havirt.types.backend.BackendException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DR image is written durably; a failed fsync fails the start that needs it (issue 15). */
class DrMediaDurableTest {
  @TempDir Path dir;
  final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  @Test
  void theImageAndItsDirectoryAreSynced() throws Exception {
    List<Path> synced = new CopyOnWriteArrayList<>();
    DrMedia m = new DrMedia(dir, clock, (ch, path) -> synced.add(path));
    Path iso = m.isoFor("vm1");
    m.write(iso, "HAVIRT_DR_VERSION=\"1\"\n");
    assertThat(synced).hasSize(2);
    assertThat(synced.get(0).getParent()).isEqualTo(iso.getParent());
    assertThat(synced.get(1)).isEqualTo(iso.getParent());
    assertThat(Files.size(iso)).isPositive();
  }

  @Test
  void aFailedSyncIsAFailedWrite() {
    DrMedia m =
        new DrMedia(
            dir,
            clock,
            (ch, path) -> {
              throw new IOException("EIO");
            });
    assertThatThrownBy(() -> m.write(m.isoFor("vm1"), "HAVIRT_DR_VERSION=\"1\"\n"))
        .isInstanceOfSatisfying(
            BackendException.class,
            e ->
                assertThat(e.getMessage()).contains("cannot write the DR payload").contains("EIO"));
    assertThat(m.isoFor("vm1")).doesNotExist();
  }
}
