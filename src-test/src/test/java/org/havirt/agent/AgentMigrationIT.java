package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A live migration asked for over the engine socket, between two real QEMU libvirtds. */
class AgentMigrationIT {
  static final Duration T = Duration.ofSeconds(120);
  @TempDir Path root;

  @Test
  void migrateThroughTheProtocol() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    try (PrivateLibvirtd qa =
            PrivateLibvirtd.qemu(root.resolve("qa"), "0a0a0a0a-0000-4000-8000-0000000000aa");
        PrivateLibvirtd qb =
            PrivateLibvirtd.qemu(root.resolve("qb"), "0b0b0b0b-0000-4000-8000-0000000000bb")) {
      Path xml = root.resolve("m.xml");
      Files.writeString(
          xml,
          "<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
              + "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>"
              + "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>"
              + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices></domain>");
      Path main = root.resolve("main.cf");
      Files.writeString(
          main,
          "system qa ( )\nsystem qb ( )\ngroup g ( SystemList = { qa = 0, qb = 1 } )\n"
              + "KVMGuest mig ( GuestName = m\n  GuestConfigFilePath = \""
              + xml
              + "\"\n  DelayAfterGuestOnline = 0\n"
              + "  MigrateTimeout = 120 )\n");
      Map<String, String> node =
          Map.of(
              "libvirt.uri",
              qa.uri(),
              "state.dir",
              root.resolve("state").toString(),
              "migrate.uri",
              "qemu+unix:///system?socket=" + root.resolve("%h/sock/libvirt-sock"),
              "migrate.data.uri",
              "tcp://127.0.0.1");
      Path socket = root.resolve("agent.sock");
      try (AgentDaemon daemon = TestDaemons.start(main, "qa", socket, TestDaemons.me(), node);
          EngineClient e = new EngineClient(socket)) {
        assertThat(daemon.managed()).isEqualTo(1);
        JsonNode online = e.call("online", T, "resource", "mig");
        assertThat(online.path("status").path("state").asText())
            .as(online.toString())
            .isEqualTo("ONLINE");
        JsonNode moved = e.call("migrate", T, "resource", "mig", "target", "qb");
        assertThat(moved.path("exec").asText()).as(moved.toString()).isEqualTo("done");
        assertThat(moved.path("status").path("state").asText()).isEqualTo("INTENTIONAL OFFLINE");
        assertThat(qb.virsh("domstate", "m").trim()).isEqualTo("running");
        assertThat(qa.virsh("list", "--all", "--name")).doesNotContain("m");
      }
    }
  }
}
