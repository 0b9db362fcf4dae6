package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon and the admin CLI from the built distribution, as an administrator runs them. */
class CliIT {
  static final Path HAVIRT =
      Path.of("..", "packaging", "target", "havirt", "bin", "havirt").toAbsolutePath().normalize();
  @TempDir Path dir;
  PrivateLibvirtd libvirtd;
  Process agent;
  Map<String, String> env;

  record Run(int exit, String out) {}

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    libvirtd = PrivateLibvirtd.testDriver(dir.resolve("tdrv"));
    Files.createDirectories(dir.resolve("sync"));
    Files.writeString(
        dir.resolve("sync/c1.xml"),
        "<domain type='test'><name>c1</name><memory unit='MiB'>128</memory>"
            + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
    Files.writeString(
        dir.resolve("main.cf"),
        "group g ( SystemList = { n1 = 0 } )\nKVMGuest res ( GuestName = c1\n"
            + "  SyncDir = \""
            + dir.resolve("sync")
            + "\"\n  DelayAfterGuestOnline = 0 )\n");
    env =
        Map.of(
            "HAVIRT_LIBVIRT_URI",
            libvirtd.uri(),
            "HAVIRT_STATE_DIR",
            dir.resolve("state").toString(),
            "HAVIRT_SOCKET",
            dir.resolve("agent.sock").toString(),
            "HAVIRT_LOG_DIR",
            dir.resolve("log").toString());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (agent != null) {
      agent.destroy();
      agent.waitFor(20, TimeUnit.SECONDS);
    }
    if (libvirtd != null) {
      libvirtd.close();
    }
  }

  Run havirt(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(HAVIRT.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void adminCommandsAgainstARunningAgent() throws Exception {
    Run down = havirt("status");
    assertThat(down.exit()).as("no agent yet").isEqualTo(3);
    assertThat(down.out())
        .contains("cannot reach the havirt agent at " + dir.resolve("agent.sock"))
        .contains("is it running?");

    ProcessBuilder pb =
        new ProcessBuilder(
                HAVIRT.toString(), "agent", "-c", dir.resolve("main.cf").toString(), "--sys", "n1")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("agent.out").toFile());
    pb.environment().putAll(env);
    agent = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(dir.resolve("agent.sock"))
        && System.nanoTime() < deadline
        && agent.isAlive()) {
      Thread.sleep(50); // waiting for the agent to create its socket; nothing to subscribe to yet
    }
    assertThat(dir.resolve("agent.sock"))
        .as(
            Files.exists(dir.resolve("agent.out"))
                ? Files.readString(dir.resolve("agent.out"))
                : "")
        .exists();

    Run status = havirt("status");
    assertThat(status.exit()).isZero();
    assertThat(status.out()).startsWith("RESOURCE").contains("res ").contains("KVMGuest");
    assertThat(havirt("online", "res"))
        .isEqualTo(new Run(0, "res: DONE guest c1 started (or already running) -> ONLINE (100)\n"));
    Run json = havirt("status", "res", "--json");
    assertThat(json.out()).contains("\"state\" : \"ONLINE\"").contains("\"confidence\" : 100");
    assertThat(havirt("online", "ghost").exit()).isEqualTo(2);
    assertThat(havirt("action", "res", "DevScan").exit()).isZero();
    assertThat(havirt("migrate", "res", "--to", "elsewhere").exit())
        .as("refused: not in SystemList")
        .isEqualTo(2);
    assertThat(havirt("offline", "res").out()).endsWith("-> OFFLINE\n");
    assertThat(Files.readString(dir.resolve("log/engine_A.log")))
        .containsPattern(
            "\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2} havirt INFO H-1-\\d{5} resource state resource=res");
    assertThat(dir.resolve("log/KVMGuest_A.log")).exists();
  }
}
