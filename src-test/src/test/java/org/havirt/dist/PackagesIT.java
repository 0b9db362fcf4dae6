package org.havirt.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.Test;

/**
 * Installs the built .deb with dpkg on this machine, uses what it installed the way an
 * administrator would, then removes and purges it. Needs root and dpkg, and a machine without
 * havirt installed (CI's fresh machine): it skips rather than touch an existing installation. The
 * .rpm is read with rpm where that tool is present (it cannot be installed on Debian).
 */
class PackagesIT {
  static final Path TARGET = Path.of("..", "packaging", "target").toAbsolutePath().normalize();

  /** A command of the test, with a deadline (the project's one runner). */
  static PrivateLibvirtd.Result run(String... cmd) throws IOException, InterruptedException {
    return PrivateLibvirtd.run(List.of(cmd), Duration.ofMinutes(2));
  }

  static Path only(String glob) throws IOException {
    try (Stream<Path> s = Files.list(TARGET)) {
      List<Path> found =
          s.filter(
                  p ->
                      TARGET
                          .getFileSystem()
                          .getPathMatcher("glob:" + glob)
                          .matches(p.getFileName()))
              .toList();
      assertThat(found).as("one %s in %s", glob, TARGET).hasSize(1);
      return found.get(0);
    }
  }

  static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void debInstallsWorksAndRemovesCleanly() throws Exception {
    assumeTrue(onPath("dpkg"), "dpkg is not installed");
    assumeTrue(
        "root".equals(System.getProperty("user.name")), "installing a .deb needs root (CI has it)");
    assumeTrue(
        run("dpkg-query", "-W", "havirt").exit() != 0 && !Files.exists(Path.of("/usr/lib/havirt")),
        "havirt is already installed on this machine; not touching it");
    Path deb = only("havirt_*_all.deb");

    PrivateLibvirtd.Result install = run("dpkg", "-i", deb.toString());
    try {
      assertThat(install.exit()).as(install.output()).isZero();

      // The commands are on the PATH and run from the installed tree.
      PrivateLibvirtd.Result version = run("/usr/bin/havirt", "--version");
      assertThat(version.exit()).as(version.output()).isZero();
      assertThat(run("/usr/bin/havirtverify", "--help").exit()).isZero();
      // postinst made the class-data archive for the installed JVM and paths; the commands map it.
      assertThat(Path.of("/usr/lib/havirt/lib/havirt.jsa")).isRegularFile();
      assertThat(Files.readAllLines(Path.of("/usr/lib/havirt/lib/havirt.jsa.id")).get(0))
          .isEqualTo("/usr/lib/havirt");
      assertThat(mappedClasses())
          .contains("org.havirt.agent.cli.HavirtMain source: shared objects file");
      // A JDK changing under /usr/lib/jvm (here a stand-in package) fires the trigger that
      // remakes it, without touching the agent.
      Files.delete(Path.of("/usr/lib/havirt/lib/havirt.jsa"));
      PrivateLibvirtd.Result jdk = run("dpkg", "-i", standInJdk().toString());
      assertThat(jdk.exit()).as(jdk.output()).isZero();
      assertThat(Path.of("/usr/lib/havirt/lib/havirt.jsa")).isRegularFile();
      assertThat(mappedClasses())
          .contains("org.havirt.agent.cli.HavirtMain source: shared objects file");
      run("dpkg", "--purge", STAND_IN);
      // The default configuration is valid as shipped.
      PrivateLibvirtd.Result check =
          run("/usr/bin/havirt", "config", "check", "/etc/havirt/main.cf");
      assertThat(check.exit()).as(check.output()).isZero();
      // The OCF agent is where Pacemaker looks, and finds its Python client through the link.
      PrivateLibvirtd.Result meta = run("/usr/lib/ocf/resource.d/havirt/KVMGuest", "meta-data");
      assertThat(meta.exit()).as(meta.output()).isZero();
      assertThat(meta.output()).contains("<resource-agent name=\"KVMGuest\"");
      // Man pages for every command.
      assertThat(Path.of("/usr/share/man/man1/havirt-agent.1.gz")).exists();
      assertThat(Path.of("/usr/share/man/man1/havirtverify.1.gz")).exists();
      if (onPath("groff")) {
        PrivateLibvirtd.Result man =
            run(
                "sh",
                "-c",
                "zcat /usr/share/man/man1/havirt-agent.1.gz | groff -man -Tutf8 -ww -z 2>&1");
        assertThat(man.output()).as("groff warnings").isEmpty();
      }
      // The unit, checked by systemd against what is now installed (ExecStart must exist).
      assertThat(Path.of("/lib/systemd/system/havirt.service")).exists();
      if (onPath("systemd-analyze")) {
        PrivateLibvirtd.Result verify =
            run("systemd-analyze", "verify", "/lib/systemd/system/havirt.service");
        assertThat(verify.exit()).as(verify.output()).isZero();
      }
      assertThat(run("dpkg-query", "--showformat=${Conffiles}", "-W", "havirt").output())
          .contains("/etc/havirt/main.cf")
          .contains("/etc/havirt/types.cf");

      // Upgrading over a key file copied by hand (0644, another owner), which the agent now
      // refuses: the postinst makes it root's, 0600, and keeps its key.
      Path key = Path.of("/etc/havirt/havirt.key");
      String keyText = org.havirt.types.PasswordCipher.openOrCreate(key).encrypt("x");
      assertThat(run("chown", "nobody", key.toString()).exit()).isZero();
      assertThat(run("chmod", "0644", key.toString()).exit()).isZero();
      PrivateLibvirtd.Result upgrade = run("dpkg", "-i", deb.toString());
      assertThat(upgrade.exit()).as(upgrade.output()).isZero();
      assertThat(run("stat", "-c", "%U %a", key.toString()).output().trim()).isEqualTo("root 600");
      assertThat(org.havirt.types.PasswordCipher.open(key).decrypt(keyText)).isEqualTo("x");
      Files.delete(key);

      // An administrator's edit survives removal (conffiles stay until purge).
      Files.writeString(
          Path.of("/etc/havirt/main.cf"), "// edited\n", java.nio.file.StandardOpenOption.APPEND);
      PrivateLibvirtd.Result remove = run("dpkg", "-r", "havirt");
      assertThat(remove.exit()).as(remove.output()).isZero();
      assertThat(Path.of("/usr/bin/havirt")).doesNotExist();
      assertThat(Path.of("/usr/lib/havirt")).doesNotExist();
      assertThat(Path.of("/usr/lib/ocf/resource.d/havirt/KVMGuest")).doesNotExist();
      assertThat(Files.readString(Path.of("/etc/havirt/main.cf"))).endsWith("// edited\n");

      PrivateLibvirtd.Result purge = run("dpkg", "--purge", "havirt");
      assertThat(purge.exit()).as(purge.output()).isZero();
      assertThat(Path.of("/etc/havirt")).doesNotExist();
    } finally {
      run("dpkg", "--purge", "havirt");
      run("dpkg", "--purge", STAND_IN);
    }
  }

  static final String STAND_IN = "havirt-test-jdk-trigger";

  /** The class-loading log of the installed {@code havirt --version}. */
  static String mappedClasses() throws IOException, InterruptedException {
    PrivateLibvirtd.Result r =
        run(
            "env",
            "HAVIRT_JAVA_OPTS=-Xss512k -XX:+UseSerialGC -Xlog:class+load=info",
            "/usr/bin/havirt",
            "--version");
    assertThat(r.exit()).as(r.output()).isZero();
    return r.output();
  }

  /** A package with one file under /usr/lib/jvm, as a JDK update has, built with dpkg-deb. */
  static Path standInJdk() throws IOException, InterruptedException {
    Path root = Files.createTempDirectory("havirt-stand-in-jdk");
    Files.createDirectories(root.resolve("DEBIAN"));
    Files.writeString(
        root.resolve("DEBIAN/control"),
        "Package: "
            + STAND_IN
            + "\nVersion: 1\nArchitecture: all\nMaintainer: havirt tests <t@example.org>\n"
            + "Description: a file under /usr/lib/jvm, for havirt's PackagesIT\n");
    Path file = root.resolve("usr/lib/jvm/" + STAND_IN + "/release");
    Files.createDirectories(file.getParent());
    Files.writeString(file, "stand-in\n");
    Path deb = root.resolveSibling(root.getFileName() + ".deb");
    PrivateLibvirtd.Result built =
        run("dpkg-deb", "--root-owner-group", "-b", root.toString(), deb.toString());
    assertThat(built.exit()).as(built.output()).isZero();
    return deb;
  }

  @Test
  void rpmHoldsTheSameInstallation() throws Exception {
    assumeTrue(onPath("rpm"), "rpm is not installed (Debian package rpm)");
    Path rpm = only("havirt-*.noarch.rpm");
    PrivateLibvirtd.Result files = run("rpm", "-qpl", rpm.toString());
    assertThat(files.exit()).as(files.output()).isZero();
    assertThat(files.output().lines())
        .contains(
            "/usr/bin/havirt",
            "/usr/bin/havirtverify",
            "/usr/lib/havirt/bin/havirt",
            "/usr/lib/ocf/resource.d/havirt/KVMGuest",
            "/usr/lib/systemd/system/havirt.service",
            "/usr/share/man/man1/havirt-agent.1.gz",
            "/etc/havirt/main.cf");
    assertThat(run("rpm", "-qpc", rpm.toString()).output().lines())
        .containsExactly("/etc/havirt/main.cf", "/etc/havirt/types.cf");
    assertThat(run("rpm", "-qpR", rpm.toString()).output()).contains("java-headless >= 1:17");
    // The build tree's class-data archive fits only the build tree: %post makes the installed one
    // and %preun (on erase) deletes it.
    assertThat(files.output().lines())
        .contains("/usr/lib/havirt/bin/havirt-cds", "/usr/lib/havirt/lib/cds.sh")
        .noneMatch(l -> l.contains("havirt.jsa"));
    PrivateLibvirtd.Result scripts = run("rpm", "-qp", "--scripts", rpm.toString());
    assertThat(scripts.output())
        .contains("/usr/lib/havirt/bin/havirt-cds")
        .contains("rm -f /usr/lib/havirt/lib/havirt.jsa");
    PrivateLibvirtd.Result dump = run("rpm", "-qp", "--dump", rpm.toString());
    assertThat(dump.output().lines())
        .anySatisfy(
            l -> assertThat(l).startsWith("/usr/lib/havirt/bin/havirt ").contains(" 0100755 "));
  }
}
