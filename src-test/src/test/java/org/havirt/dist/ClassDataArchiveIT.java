package org.havirt.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive of the built distribution (lib/havirt.jsa, made by bin/havirt-cds): the
 * launchers map it, and an archive that does not fit (moved tree, newer jar, corrupt file) never
 * breaks a command nor prints anything, and does not cost the JDK's own archive either.
 */
class ClassDataArchiveIT {
  static final Path DIST = DistributionIT.DIST;

  @TempDir Path dir;

  record Run(int exit, String out) {}

  static Run run(Path home, Map<String, String> env, String command, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(home.resolve("bin").resolve(command).toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("HAVIRT_JAVA_OPTS");
    pb.environment().remove("HAVIRT_CDS");
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s exits", command).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** The class-loading log of {@code havirt --version} started from {@code home}. */
  String classLoading(Path home, Map<String, String> extraEnv)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile(dir, "classes", ".log");
    Map<String, String> env = new java.util.HashMap<>(extraEnv);
    env.put("HAVIRT_JAVA_OPTS", "-Xss512k -XX:+UseSerialGC -Xlog:class+load=info:file=" + log + "");
    Run r = run(home, env, "havirt", "--version");
    assertThat(r.exit()).as(r.out()).isZero();
    return Files.readString(log);
  }

  @Test
  void theDistributionHasAnArchiveAndTheLaunchersMapIt() throws Exception {
    assertThat(DIST.resolve("lib/havirt.jsa")).isRegularFile();
    assertThat(Files.readAllLines(DIST.resolve("lib/havirt.jsa.id")).get(0))
        .isEqualTo(DIST.toString());
    assertThat(DIST.resolve("bin/havirt-cds")).isExecutable();

    assertThat(classLoading(DIST, Map.of()))
        .contains("org.havirt.agent.cli.HavirtMain source: shared objects file")
        .contains("picocli.CommandLine source: shared objects file");
    assertThat(classLoading(DIST, Map.of("HAVIRT_CDS", "off")))
        .contains("org.havirt.agent.cli.HavirtMain source: file:");

    Path log = dir.resolve("verify.log");
    Run v =
        run(
            DIST,
            Map.of("HAVIRT_JAVA_OPTS", "-Xlog:class+load=info:file=" + log),
            "havirtverify",
            "--version");
    assertThat(v.exit()).as(v.out()).isZero();
    assertThat(Files.readString(log))
        .contains("org.havirt.verify.HavirtVerify source: shared objects file");
  }

  @Test
  void anArchiveThatDoesNotFitNeverBreaksACommandNorWarns() throws Exception {
    String version = run(DIST, Map.of(), "havirt", "--version").out();
    String verifyHelp = run(DIST, Map.of(), "havirtverify", "--help").out();
    assertThat(version).startsWith("havirt ");
    Path copy = dir.resolve("moved");
    copyTree(DIST, copy);

    // 1. Moved: the .id names the build tree, so the launchers leave the archive out, and the
    //    JVM keeps the JDK's own archive.
    assertQuietAndWorking(copy, version, verifyHelp);
    assertThat(classLoading(copy, Map.of()))
        .contains("java.lang.Object source: shared objects file")
        .contains("org.havirt.agent.cli.HavirtMain source: file:");

    // 2. The .id claims this tree, but the archive was made for the other one: the launchers pass
    //    it, the JVM refuses it (class path mismatch), silently.
    Path id = copy.resolve("lib/havirt.jsa.id");
    FileTime idTime = Files.getLastModifiedTime(id);
    List<String> lines = new ArrayList<>(Files.readAllLines(id));
    lines.set(0, copy.toString());
    Files.write(id, lines);
    Files.setLastModifiedTime(id, idTime);
    assertQuietAndWorking(copy, version, verifyHelp);

    // 3. A corrupt archive: refused as well, silently.
    Path jsa = copy.resolve("lib/havirt.jsa");
    FileTime jsaTime = Files.getLastModifiedTime(jsa);
    Files.write(jsa, "not an archive".repeat(1000).getBytes(StandardCharsets.UTF_8));
    Files.setLastModifiedTime(jsa, jsaTime);
    assertQuietAndWorking(copy, version, verifyHelp);

    // 4. A jar newer than the archive (an upgrade before bin/havirt-cds ran): left out, and the
    //    JDK's own archive still serves.
    Files.copy(DIST.resolve("lib/havirt.jsa"), jsa, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(jsa, jsaTime);
    try (Stream<Path> jars = Files.list(copy.resolve("lib"))) {
      Path jar = jars.filter(p -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
      Files.setLastModifiedTime(jar, FileTime.fromMillis(jsaTime.toMillis() + 60_000));
    }
    assertQuietAndWorking(copy, version, verifyHelp);
    assertThat(classLoading(copy, Map.of()))
        .contains("java.lang.Object source: shared objects file")
        .contains("org.havirt.agent.cli.HavirtMain source: file:");

    // 5. A JDK that is not the one of the .id (another libjvm.so): left out too.
    Files.setLastModifiedTime(
        copy.resolve("lib/havirt.jsa"), FileTime.fromMillis(System.currentTimeMillis()));
    Files.setLastModifiedTime(id, FileTime.fromMillis(idTime.toMillis() - 86_400_000L));
    assertQuietAndWorking(copy, version, verifyHelp);
    assertThat(classLoading(copy, Map.of()))
        .contains("org.havirt.agent.cli.HavirtMain source: file:");
  }

  private static void assertQuietAndWorking(Path home, String version, String verifyHelp)
      throws IOException, InterruptedException {
    Run h = run(home, Map.of(), "havirt", "--version");
    assertThat(h.exit()).isZero();
    assertThat(h.out()).as("nothing but the version").isEqualTo(version);
    Run v = run(home, Map.of(), "havirtverify", "--help");
    assertThat(v.exit()).isZero();
    assertThat(v.out()).as("nothing but the help").isEqualTo(verifyHelp);
  }

  /** Copies {@code from} to {@code to} keeping modification times, as cp -a would. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> all = Files.walk(from)) {
      for (Path p : all.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
