package org.havirt.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordCipherTest {
  @TempDir Path dir;

  @Test
  void roundTripsWithAKeyFileCreatedOwnerOnly() throws Exception {
    Path key = dir.resolve("etc/havirt.key");
    PasswordCipher c = PasswordCipher.openOrCreate(key);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    String v = c.encrypt("p@ss wörd\"");
    assertThat(v).startsWith("HVE1.").doesNotContain("p@ss").matches("HVE1\\.[A-Za-z0-9_-]+");
    assertThat(c.encrypt("p@ss wörd\"")).as("a fresh nonce every time").isNotEqualTo(v);
    assertThat(PasswordCipher.openOrCreate(key).decrypt(v)).isEqualTo("p@ss wörd\"");
  }

  @Test
  void tamperedForeignAndPlainValuesAreRefusedWithoutQuotingThem() throws Exception {
    PasswordCipher mine = PasswordCipher.openOrCreate(dir.resolve("a.key"));
    PasswordCipher other = PasswordCipher.openOrCreate(dir.resolve("b.key"));
    String v = other.encrypt("secret");
    assertThatThrownBy(() -> mine.decrypt(v))
        .hasMessageContaining("does not decrypt with this host's key file")
        .hasMessageNotContaining("secret")
        .hasMessageNotContaining(v);
    String flipped =
        v.substring(0, v.length() - 2) + (v.endsWith("A") ? "B" : "A") + v.charAt(v.length() - 1);
    assertThatThrownBy(() -> other.decrypt(flipped)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> mine.decrypt("plaintext"))
        .hasMessageContaining("havirt encrypt")
        .hasMessageNotContaining("plaintext");
    Files.writeString(dir.resolve("bad.key"), "not base64!!");
    assertThatThrownBy(() -> PasswordCipher.open(dir.resolve("bad.key")))
        .hasMessageContaining("damaged");
  }
}
