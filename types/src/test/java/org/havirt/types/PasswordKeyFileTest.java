package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host key file: created atomically, and refused when others could read or replace it. */
class PasswordKeyFileTest {
  @TempDir Path dir;

  @Test
  void concurrentCreatorsAgreeOnOneKeyAndNoneSeesAHalfWrittenFile() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 40; round++) {
        Path key = dir.resolve("round" + round + "/havirt.key");
        CyclicBarrier start = new CyclicBarrier(8);
        List<Future<String>> made = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          made.add(
              pool.submit(
                  () -> {
                    start.await();
                    return PasswordCipher.openOrCreate(key).encrypt("pw");
                  }));
        }
        List<String> values = new ArrayList<>();
        for (Future<String> f : made) {
          values.add(f.get());
        }
        for (String v : values) {
          // Every value any creator made decrypts with the key that stayed in place.
          assertThat(PasswordCipher.open(key).decrypt(v)).isEqualTo("pw");
        }
        assertThat(Files.list(key.getParent()).toList())
            .as("no temporary file is left behind")
            .containsExactly(key);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKeyFileOthersCanReadIsRefusedWithTheFix() throws Exception {
    Path key = dir.resolve("havirt.key");
    PasswordCipher.openOrCreate(key);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> PasswordCipher.open(key))
        .hasMessageContaining("mode 0644")
        .hasMessageContaining("chmod 0600 " + key);
  }

  @Test
  void aKeyFileNotOwnedByRootIsRefusedWithTheFix() throws Exception {
    Path key = dir.resolve("havirt.key");
    PasswordCipher.openOrCreate(key);
    UserPrincipal nobody =
        key.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(key, nobody);
    assertThatThrownBy(() -> PasswordCipher.open(key))
        .hasMessageContaining("owned by nobody")
        .hasMessageContaining("chown root:root " + key);
  }

  @Test
  void aSymlinkOrADirectoryIsNoKeyFile() throws Exception {
    Path real = dir.resolve("real.key");
    PasswordCipher.openOrCreate(real);
    Path link = Files.createSymbolicLink(dir.resolve("link.key"), real);
    assertThatThrownBy(() -> PasswordCipher.open(link))
        .hasMessageContaining("is not a regular file");
    Path d = Files.createDirectory(dir.resolve("dir.key"));
    assertThatThrownBy(() -> PasswordCipher.open(d)).hasMessageContaining("is not a regular file");
    assertThatThrownBy(() -> PasswordCipher.openOrCreate(link))
        .as("never followed when it exists either")
        .hasMessageContaining("is not a regular file");
  }
}
