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
    Files.setPosixFilePermissions(
        dir.resolve("bad.key"), PosixFilePermissions.fromString("rw-------"));
    assertThatThrownBy(() -> PasswordCipher.open(dir.resolve("bad.key")))
        .hasMessageContaining("damaged");
  }

  static final String URL = "https://rhevm.example.com";
  static final String USER = "admin@internal";

  @Test
  void aBoundValueDecryptsOnlyForItsRhevmAndUser() throws Exception {
    PasswordCipher c = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    String v = c.encryptFor("s3cret", URL, USER);
    assertThat(v).startsWith("HVE2.").doesNotContain("s3cret").matches("HVE2\\.[A-Za-z0-9_-]+");
    assertThat(c.decryptFor(v, "HTTPS://RHEVM.Example.com:443/", USER))
        .isEqualTo(new PasswordCipher.Secret("s3cret", true));
    for (String[] other :
        new String[][] {
          {"https://attacker.example.com", USER},
          {"https://rhevm.example.com:8443", USER},
          {"https://rhevm.example.com/other", USER},
          {URL, "admin@internal2"},
          {URL, "Admin@internal"}
        }) {
      assertThatThrownBy(() -> c.decryptFor(v, other[0], other[1]))
          .as("%s as %s", other[0], other[1])
          .hasMessage(
              "RHEVMInfo.Password was encrypted for another RHEV-M or user: run havirt encrypt"
                  + " again")
          .hasMessageNotContaining("s3cret");
    }
    PasswordCipher foreign = PasswordCipher.openOrCreate(dir.resolve("other.key"));
    assertThatThrownBy(() -> foreign.decryptFor(v, URL, USER))
        .as("another key is told apart from another binding")
        .hasMessageContaining("does not decrypt with this host's key file");
  }

  @Test
  void anHve1ValueStillDecryptsAndSaysItIsUnbound() throws Exception {
    PasswordCipher c = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    String legacy = c.encrypt("old");
    assertThat(c.decryptFor(legacy, "https://anywhere.example.com", "anyone"))
        .isEqualTo(new PasswordCipher.Secret("old", false));
  }

  @Test
  void theBindingNormalisesTheUrlAndRefusesWhatIsNotAPlainHttpsUrl() {
    assertThat(PasswordCipher.canonicalUrl("HTTPS://RHEVM.Example.COM"))
        .isEqualTo("https://rhevm.example.com:443");
    assertThat(PasswordCipher.canonicalUrl("https://rhevm.example.com:443/"))
        .isEqualTo("https://rhevm.example.com:443");
    assertThat(PasswordCipher.canonicalUrl("https://h:8443//a/./b/../c/"))
        .isEqualTo("https://h:8443/a/c");
    assertThat(PasswordCipher.canonicalUrl("https://[FE80::1]:8443"))
        .isEqualTo("https://[fe80::1]:8443");
    for (String bad :
        new String[] {
          "http://rhevm.example.com",
          "https://user@rhevm.example.com",
          "https://rhevm.example.com/?x=1",
          "https://rhevm.example.com/#f",
          "https://rhevm.example.com/../x",
          "https:///nohost",
          "rhevm.example.com",
          "https://evil.example.com\\@rhevm.example.com"
        }) {
      assertThatThrownBy(() -> PasswordCipher.canonicalUrl(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("RHEVMInfo.URL");
    }
  }
}
