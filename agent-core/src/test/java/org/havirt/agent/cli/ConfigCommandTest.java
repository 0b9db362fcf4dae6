package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigCommandTest {
  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = HavirtMain.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  private Path write(String name, String text) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  @Test
  void checkAValidConfig() throws IOException {
    Path f =
        write("main.cf", "group g ( SystemList = { a = 0 } )\nKVMGuest vm ( GuestName = v )\n");
    assertThat(run("config", "check", f.toString())).isZero();
    assertThat(out.toString())
        .isEqualTo(f + ": valid (0 errors, 0 warnings; 1 group, 1 resource)\n");
  }

  @Test
  void checkReportsEveryProblemAndExitsOne() throws IOException {
    Path good = write("good.cf", "group g ( )\nKVMGuest vm ( GuestName = v )\n");
    Path bad = write("bad.cf", "group g ( )\nKVMGuest vm ( Bogus = 1 )\nvm requires ghost\n");
    assertThat(run("config", "check", good.toString(), bad.toString())).isEqualTo(1);
    assertThat(out.toString().lines())
        .containsExactly(
            good + ": valid (0 errors, 0 warnings; 1 group, 1 resource)",
            bad
                + ":2:10: error: resource 'vm' has no GuestName: set it to the VM's name in libvirt or RHEV-M",
            bad + ":2:15: error: resource 'vm' (KVMGuest) has no attribute 'Bogus'",
            bad + ":3:13: error: there is no resource named 'ghost'",
            bad + ": INVALID (3 errors, 0 warnings; 1 group, 1 resource)");
  }

  @Test
  void checkUsesExtraTypes() throws IOException {
    Path types = write("other.cf", "type Mount ( str MountPoint )\n");
    Path f = write("main.cf", "group g ( )\nMount m ( MountPoint = \"/x\" )\n");
    assertThat(run("config", "check", "-q", f.toString())).isEqualTo(1);
    assertThat(run("config", "check", "-q", "--types", types.toString(), f.toString())).isZero();
  }

  @Test
  void printNormalises() throws IOException {
    Path f =
        write(
            "main.cf",
            "// top\ngroup g(SystemList={a=0 b=1})\nKVMGuest vm(GuestName=v // why\n)\n");
    assertThat(run("config", "print", f.toString())).isZero();
    assertThat(out.toString())
        .isEqualTo(
            """
        // top
        group g (
            SystemList = { a = 0, b = 1 }
            )

            KVMGuest vm (
                GuestName = v // why
                )
        """);
  }

  @Test
  void printRefusesABrokenFileAndPrintsNothing() throws IOException {
    Path f = write("main.cf", "group g (\n  A = \"open\n)\n");
    assertThat(run("config", "print", f.toString())).isEqualTo(1);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).contains(f + ":2:7: error: unterminated string");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run("config", "check")).isEqualTo(2);
    assertThat(err.toString()).contains("Missing required parameter");
    assertThat(run("config", "print", dir.resolve("absent.cf").toString())).isEqualTo(2);
    assertThat(run()).isEqualTo(2);
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("havirt ");
  }
}
