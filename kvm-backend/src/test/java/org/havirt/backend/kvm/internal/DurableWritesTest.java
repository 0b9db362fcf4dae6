package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file the KVM backend writes (guest XML write-backs, its sync records, its definition
 * markers) goes through {@link DurableFiles}: the file and its directory are fsynced before the
 * write counts, and a failed fsync fails the write (issue 15, point 8).
 */
class DurableWritesTest {
  @TempDir Path dir;
  final List<Path> synced = new CopyOnWriteArrayList<>();
  final DurableFiles.Sync recording = (ch, path) -> synced.add(path);

  GuestSpec spec(Path cfg, Path sync) {
    return new GuestSpec(
        "r",
        Map.of(
            "GuestName", new AttributeValue.Scalar("vm1"),
            "GuestConfigFilePath", new AttributeValue.Scalar(cfg.toString()),
            "SyncDir", new AttributeValue.Scalar(sync.toString())));
  }

  /** The directories synced, in order, and how many temporary files of each were synced. */
  List<String> summary() {
    return synced.stream()
        .map(
            p ->
                Files.isDirectory(p)
                    ? "dir " + dir.relativize(p)
                    : "file in " + dir.relativize(p.getParent()))
        .toList();
  }

  @Test
  void aWriteBackSyncsEachFileAndItsDirectoryAndTheRecord() throws Exception {
    Path sync = Files.createDirectories(dir.resolve("sync"));
    GuestFiles f = new GuestFiles(dir.resolve("state"), recording);
    assertThat(f.push(spec(dir.resolve("vm1.xml"), sync), "<domain/>")).hasSize(2);
    assertThat(summary())
        .containsExactly(
            "file in ",
            "dir ",
            "file in sync",
            "dir sync",
            "file in state/config-sync",
            "dir state/config-sync");
  }

  @Test
  void theDefinitionMarkerIsDurableAndAFailedSyncFailsIt() throws Exception {
    new GuestFiles(dir.resolve("state"), recording).markDefinedByAgent("vm1");
    assertThat(summary()).containsExactly("file in state/defined", "dir state/defined");
    GuestFiles failing =
        new GuestFiles(
            dir.resolve("state2"),
            (ch, path) -> {
              throw new IOException("EIO");
            });
    assertThatThrownBy(() -> failing.markDefinedByAgent("vm2"))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(BackendException.Kind.FAILED);
              assertThat(e.getMessage()).contains("EIO");
            });
  }

  @Test
  void aFailedSyncOfAWriteBackIsAFailedWriteBack() throws Exception {
    Path sync = Files.createDirectories(dir.resolve("sync"));
    GuestFiles f =
        new GuestFiles(
            dir.resolve("state"),
            (ch, path) -> {
              throw new IOException("EIO");
            });
    assertThatThrownBy(() -> f.push(spec(dir.resolve("vm1.xml"), sync), "<domain/>"))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> assertThat(e.getMessage()).startsWith("cannot write " + dir.resolve("vm1.xml")));
    assertThat(dir.resolve("vm1.xml")).doesNotExist();
  }
}
