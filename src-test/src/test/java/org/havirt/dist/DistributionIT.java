package org.havirt.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the built distribution's {@code bin/havirt} the way an administrator would. */
class DistributionIT {
  static final Path DIST =
      Path.of("..", "packaging", "target", "havirt").toAbsolutePath().normalize();

  @TempDir Path dir;

  record Run(int exit, String out) {}

  static Run havirt(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(DIST.resolve("bin/havirt").toString());
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("havirt exits").isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void theDistributionHasAStablePathAndItsFiles() {
    assertThat(DIST.resolve("bin/havirt")).isExecutable();
    assertThat(DIST.resolve("conf/types.cf")).exists();
    assertThat(DIST.resolve("conf/KVMGuestTypes.cf")).exists();
    assertThat(DIST.resolve("lib")).isDirectoryContaining("glob:**/havirt-config-*.jar");
  }

  @Test
  void checkAndPrintThroughTheLauncher() throws Exception {
    Files.copy(DIST.resolve("conf/types.cf"), dir.resolve("types.cf"));
    Files.copy(DIST.resolve("conf/KVMGuestTypes.cf"), dir.resolve("KVMGuestTypes.cf"));
    Path main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "include \"types.cf\"\ngroup g ( SystemList = { a = 0 } )\nKVMGuest vm ( GuestName = v )\n");
    Run ok = havirt("config", "check", main.toString());
    assertThat(ok.exit()).as(ok.out()).isZero();
    assertThat(ok.out()).isEqualTo(main + ": valid (0 errors, 0 warnings; 1 group, 1 resource)\n");

    Files.writeString(
        main,
        "include \"types.cf\"\ngroup g ( )\nKVMGuest vm ( RHEVMInfo = { Enabled = 1, User = a@b\", Password = x } )\n");
    Run bad = havirt("config", "check", main.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out())
        .contains(main + ":3:52: error: unterminated string")
        .contains(main + ":3:10: error: resource 'vm' has no GuestName");

    Run print = havirt("config", "print", dir.resolve("types.cf").toString());
    assertThat(print.exit()).isZero();
    assertThat(print.out())
        .isEqualTo(
            "// The types a havirt main.cf includes with: include \"types.cf\"\n"
                + "// Add other agents' type files here if your configuration also holds their resources.\n"
                + "include \"KVMGuestTypes.cf\"\n");
  }

  @Test
  void usageErrorsExitTwoAndHelpListsTheCommands() throws Exception {
    Run none = havirt();
    assertThat(none.exit()).isEqualTo(2);
    Run help = havirt("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("config").contains("Exit codes:");
  }

  @Test
  void encryptReadsThePasswordFromStandardInputNeverFromArguments() throws Exception {
    Path key = dir.resolve("havirt.key");
    Process p =
        new ProcessBuilder(
                DIST.resolve("bin/havirt").toString(),
                "encrypt",
                "--url",
                "https://rhevm.example.com",
                "--user",
                "admin@internal",
                "--key-file",
                key.toString())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().write("pa55 word\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(out).startsWith("HVE2.").doesNotContain("pa55");
    assertThat(
            org.havirt.types.PasswordCipher.open(key)
                .decryptFor(out, "https://rhevm.example.com", "admin@internal")
                .password())
        .isEqualTo("pa55 word");
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    Run empty =
        havirt(
            "encrypt",
            "--url",
            "https://rhevm.example.com",
            "--user",
            "admin@internal",
            "--key-file",
            key.toString());
    assertThat(empty.exit()).isEqualTo(1);
  }
}
