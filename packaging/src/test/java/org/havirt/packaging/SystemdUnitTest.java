package org.havirt.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped unit, checked by systemd's own tools (issue 14 point 4, issue 15 point 9). PID 1 is
 * not systemd where the tests run, so the unit itself is never started here: systemd checks its
 * syntax and rates its sandbox offline, and the agent's side of Type=notify and the watchdog is
 * tested against a notify socket the tests own (SystemdWatchdogIT).
 */
class SystemdUnitTest {
  static final Path UNIT = Path.of("src", "main", "systemd", "havirt.service");
  static final Path SECURITY_DOC = Path.of("..", "docs", "security.md");

  /** The documented rating: "... rates the unit **4.5**" in docs/security.md. */
  static final Pattern DOCUMENTED_SCORE =
      Pattern.compile("rates the unit \\*\\*(\\d+\\.\\d)\\*\\*");

  static final Pattern OVERALL = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d)");

  @TempDir Path dir;

  record Run(int exit, String output) {}

  static Run run(List<String> argv) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", argv).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The unit with its ExecStart pointing at a stand-in launcher: verify checks that the command
   * exists, and the package is not installed where the tests run.
   */
  Path unitWithLauncher() throws IOException {
    Path launcher = dir.resolve("havirt");
    Files.writeString(launcher, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    String unit = Files.readString(UNIT).replace("/usr/lib/havirt/bin/havirt", launcher.toString());
    Path copy = dir.resolve("havirt.service");
    Files.writeString(copy, unit);
    return copy;
  }

  List<String> directives() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(UNIT)) {
      if (!line.isBlank() && !line.startsWith("#") && !line.startsWith("[")) {
        out.add(line.strip());
      }
    }
    return out;
  }

  @Test
  void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
    assumeTrue(onPath("systemd-analyze"), "needs systemd-analyze");
    Run verify = run(List.of("systemd-analyze", "verify", unitWithLauncher().toString()));
    assertThat(verify.exit()).as(verify.output()).isZero();
    assertThat(verify.output()).as("no warning either").isBlank();
  }

  @Test
  void readinessWatchdogAndOrderingAsDocumented() throws Exception {
    assertThat(directives())
        .contains(
            "Type=notify",
            // The agent notifies from its own pid: no helper process may speak for it.
            "NotifyAccess=main",
            "WatchdogSec=30s",
            "Before=pacemaker.service",
            "Restart=on-failure",
            // A JVM stopped by SIGTERM exits 143 (SystemdAgentIT): a clean stop.
            "SuccessExitStatus=143",
            // No -c: /etc/havirt/main.cf, or no resources when it is absent.
            "ExecStart=/usr/lib/havirt/bin/havirt agent");
  }

  @Test
  void theSandboxOfIssue15IsThere() throws Exception {
    assertThat(directives())
        .contains(
            "UMask=0027",
            "StateDirectoryMode=0751",
            "LogsDirectoryMode=0750",
            "SystemCallArchitectures=native",
            "SystemCallFilter=@system-service",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
            "RestrictNamespaces=yes",
            "ProtectKernelLogs=yes",
            "ProtectClock=yes",
            "ProtectHostname=yes",
            "ProtectProc=invisible");
  }

  @Test
  void exposureScoreIsAtMostTheDocumentedOne() throws Exception {
    assumeTrue(onPath("systemd-analyze"), "needs systemd-analyze");
    Matcher doc = DOCUMENTED_SCORE.matcher(Files.readString(SECURITY_DOC));
    assertThat(doc.find())
        .as("docs/security.md states the score: %s", DOCUMENTED_SCORE.pattern())
        .isTrue();
    double documented = Double.parseDouble(doc.group(1));
    Run sec =
        run(
            List.of(
                "systemd-analyze",
                "security",
                "--offline=true",
                "--no-pager",
                unitWithLauncher().toString()));
    Matcher m = OVERALL.matcher(sec.output());
    assertThat(m.find()).as(sec.output()).isTrue();
    double score = Double.parseDouble(m.group(1));
    assertThat(score)
        .as("exposure of the unit (documented %s)%n%s", documented, sec.output())
        .isLessThanOrEqualTo(documented);
  }
}
