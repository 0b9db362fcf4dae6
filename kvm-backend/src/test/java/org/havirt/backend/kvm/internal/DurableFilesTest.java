package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Durable replacement of a file: fsync of the file before the rename, of the directory after. */
class DurableFilesTest {
  @TempDir Path dir;

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theFileIsSyncedBeforeTheRenameAndTheDirectoryAfter() throws Exception {
    Path target = dir.resolve("guest.xml");
    Files.writeString(target, "old");
    List<String> seen = new ArrayList<>();
    DurableFiles.write(
        target,
        bytes("new"),
        (ch, path) -> {
          // What each sync sees tells its place: the file's own, then the directory's.
          seen.add(
              (path.equals(dir)
                      ? "dir"
                      : "file in the same directory "
                          + path.getParent().equals(dir)
                          + " size="
                          + ch.size())
                  + " target="
                  + Files.readString(target));
        });
    assertThat(seen)
        .containsExactly("file in the same directory true size=3 target=old", "dir target=new");
    assertThat(Files.readString(target)).isEqualTo("new");
    assertThat(leftovers()).containsExactly("guest.xml");
  }

  @Test
  void aFailedFileSyncIsAFailedWriteAndTheOldContentStays() throws Exception {
    Path target = dir.resolve("record");
    Files.writeString(target, "old");
    assertThatThrownBy(
            () ->
                DurableFiles.write(
                    target,
                    bytes("new"),
                    (ch, path) -> {
                      throw new IOException("EIO");
                    }))
        .isInstanceOf(IOException.class)
        .hasMessage("EIO");
    assertThat(Files.readString(target)).isEqualTo("old");
    assertThat(leftovers()).as("the temporary file is removed").containsExactly("record");
  }

  @Test
  void aFailedDirectorySyncIsAFailedWrite() throws Exception {
    Path target = dir.resolve("dr.iso");
    assertThatThrownBy(
            () ->
                DurableFiles.write(
                    target,
                    bytes("image"),
                    (ch, path) -> {
                      if (path.equals(dir)) {
                        throw new IOException("EIO on the directory");
                      }
                    }))
        .hasMessage("EIO on the directory");
  }

  @Test
  void theRealFsyncWritesAnOwnerOnlyFile() throws Exception {
    Path target = dir.resolve("new-file");
    DurableFiles.write(target, bytes("content"));
    assertThat(Files.readString(target)).isEqualTo("content");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target)))
        .isEqualTo("rw-------");
    assertThat(leftovers()).containsExactly("new-file");
  }

  private List<String> leftovers() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
