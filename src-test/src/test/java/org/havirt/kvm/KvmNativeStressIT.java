package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native safety under stress (issue 13, point 3): {@link NativeStressMain} runs for 60 s in a JVM
 * whose glibc checks the heap (MALLOC_CHECK_=3, MALLOC_PERTURB_) so a use-after-free or double free
 * crashes instead of passing, while this test restarts libvirtd twice and freezes it once for 12 s
 * (longer than any keepalive window). The child must live to the end and say so.
 */
class KvmNativeStressIT {
  private static final int SECONDS = 60;

  @TempDir Path work;

  @Test
  void concurrentMonitorsRedefinitionsRestartsFreezesAndStopsNeverCrash() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    try (PrivateLibvirtd daemon = PrivateLibvirtd.testDriver(work.resolve("tdrv"))) {
      Path out = work.resolve("child.out");
      ProcessBuilder pb =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-XX:ErrorFile=" + work.resolve("hs_err_%p.log"),
                  "-cp",
                  System.getProperty("java.class.path"),
                  NativeStressMain.class.getName(),
                  daemon.uri(),
                  work.resolve("state").toString(),
                  Integer.toString(SECONDS))
              .directory(work.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile());
      pb.environment().put("MALLOC_CHECK_", "3");
      pb.environment().put("MALLOC_PERTURB_", "165");
      Process child = pb.start();
      try {
        // Restart at 10 s and 40 s, freeze from 20 s to 32 s: the child's own schedule differs,
        // so these land in the middle of calls, closes and redefinitions.
        Thread.sleep(10_000);
        daemon.kill();
        Thread.sleep(700);
        daemon.restart();
        Thread.sleep(9_000);
        daemon.freeze();
        Thread.sleep(12_000);
        daemon.thaw();
        Thread.sleep(8_000);
        daemon.kill();
        Thread.sleep(700);
        daemon.restart();
        boolean ended = child.waitFor(SECONDS + 60, TimeUnit.SECONDS);
        String log = Files.readString(out) + crashReports();
        assertThat(ended).as("the stress child ended; its output:%n%s", tail(log)).isTrue();
        assertThat(child.exitValue())
            .as("exit of the stress child; its output:%n%s", tail(log))
            .isZero();
        assertThat(log).contains("native stress survived");
        System.out.println(
            "KvmNativeStressIT: "
                + log.substring(log.lastIndexOf("native stress survived")).strip());
      } finally {
        daemon.thaw();
        child.destroyForcibly();
      }
    }
  }

  /** The head of every JVM crash report the child left (its threads and native frames). */
  private String crashReports() throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(work)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
        List<String> lines = Files.readAllLines(f);
        sb.append("\n--- ").append(f).append('\n');
        lines.stream().limit(80).forEach(l -> sb.append(l).append('\n'));
      }
    }
    return sb.toString();
  }

  private static String tail(String s) {
    int hs = s.indexOf("\n--- ");
    String head = hs < 0 ? s : s.substring(0, hs);
    String crash = hs < 0 ? "" : s.substring(hs);
    return (head.length() > 3000 ? head.substring(head.length() - 3000) : head) + crash;
  }
}
