package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestFilesTest {
  @TempDir Path dir;

  private GuestSpec spec(String... kv) {
    Map<String, AttributeValue> m = new java.util.HashMap<>();
    m.put("GuestName", new AttributeValue.Scalar("vm1"));
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], new AttributeValue.Scalar(kv[i + 1]));
    }
    return new GuestSpec("r", m);
  }

  @Test
  void pushGoesToBothPlacesOnlyWhenChangedAndNewFilesAreOwnerOnly() throws Exception {
    Path sync = Files.createDirectories(dir.resolve("sync"));
    Path cfg = dir.resolve("vm1.xml");
    GuestFiles f = new GuestFiles(dir.resolve("state"));
    GuestSpec g = spec("SyncDir", sync.toString(), "GuestConfigFilePath", cfg.toString());
    assertThat(f.push(g, "<domain/>")).containsExactly(cfg, sync.resolve("vm1.xml"));
    assertThat(f.push(g, "<domain/>")).isEmpty();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)))
        .isEqualTo("rw-------");
    assertThat(f.push(g, "<domain>2</domain>")).hasSize(2);
    assertThat(cfg).hasContent("<domain>2</domain>");
    try (var s = Files.list(sync)) {
      assertThat(s).as("no temporary files left").hasSize(1);
    }
  }

  @Test
  void aMissingDirectoryIsAClearError() {
    GuestFiles f = new GuestFiles(dir.resolve("state"));
    assertThatThrownBy(() -> f.push(spec("SyncDir", dir.resolve("nope").toString()), "<domain/>"))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(BackendException.Kind.MISCONFIGURED);
              assertThat(e.getMessage()).contains("does not exist");
            });
  }

  @Test
  void definitionComesFromTheConfigFileFirstThenSyncDir() throws Exception {
    Path sync = Files.createDirectories(dir.resolve("sync"));
    Files.writeString(sync.resolve("vm1.xml"), "<domain><name>vm1</name></domain>");
    GuestFiles f = new GuestFiles(dir.resolve("state"));
    assertThat(f.definitionFor(spec("SyncDir", sync.toString())))
        .get()
        .satisfies(d -> assertThat(d.source()).isEqualTo(sync.resolve("vm1.xml")));
    assertThat(f.definitionFor(spec())).isEmpty();
    assertThat(f.definitionFor(spec("SyncDir", dir.resolve("empty").toString()))).isEmpty();
    assertThatThrownBy(
            () ->
                f.definitionFor(
                    spec(
                        "GuestConfigFilePath",
                        dir.resolve("x.xml").toString(),
                        "SyncDir",
                        sync.toString())))
        .hasMessageContaining("does not exist");
  }

  @Test
  void markersRecordOnlyWhatTheAgentDefined() throws Exception {
    GuestFiles f = new GuestFiles(dir.resolve("state"));
    assertThat(f.definedByAgent("vm1")).isFalse();
    f.markDefinedByAgent("vm1");
    assertThat(f.definedByAgent("vm1")).isTrue();
    f.forgetDefinition("vm1");
    assertThat(f.definedByAgent("vm1")).isFalse();
  }
}
