package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code havirt encrypt} makes values bound to the RHEV-M and user they are for. */
class EncryptCommandTest {
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String stdin, String... args) {
    InputStream was = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      CommandLine cl = HavirtMain.commandLine();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(err));
      return cl.execute(args);
    } finally {
      System.setIn(was);
    }
  }

  @Test
  void theValueIsBoundToTheUrlAndUserGiven() throws Exception {
    Path key = dir.resolve("havirt.key");
    int code =
        run(
            "pa55 word\n",
            "encrypt",
            "--url",
            "https://RHEVM.example.com/",
            "--user",
            "admin@internal",
            "--key-file",
            key.toString());
    assertThat(code).as(err.toString()).isZero();
    String v = out.toString().trim();
    assertThat(v).startsWith("HVE2.").doesNotContain("pa55");
    PasswordCipher c = PasswordCipher.open(key);
    assertThat(c.decryptFor(v, "https://rhevm.example.com:443", "admin@internal").password())
        .isEqualTo("pa55 word");
    assertThatThrownBy(() -> c.decryptFor(v, "https://attacker.example.com", "admin@internal"))
        .hasMessage(PasswordCipher.OTHER_BINDING);
  }

  @Test
  void withoutUrlAndUserNothingIsEncrypted() {
    Path key = dir.resolve("havirt.key");
    assertThat(run("pw\n", "encrypt", "--key-file", key.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("--url").contains("--user");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void aUrlThatIsNotPlainHttpsIsRefused() {
    Path key = dir.resolve("havirt.key");
    int code =
        run(
            "pw\n",
            "encrypt",
            "--url",
            "http://rhevm.example.com",
            "--user",
            "admin@internal",
            "--key-file",
            key.toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("RHEVMInfo.URL must be an https:// URL");
    assertThat(out.toString()).isEmpty();
  }
}
