package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCF start's default peers (no {@code peers} parameter): the other Pacemaker nodes, from
 * {@code crm_node}, asked once per action, with this node's name from Pacemaker's {@code
 * CRM_meta_on_node}. A fake crm_node (cluster hvA, hvB) records its calls; hvB is a test-driver
 * libvirtd running the guest, so a start that found its peers is refused.
 */
class OcfPeersIT {
  @TempDir Path dir;
  AgentWithGuest env;
  PrivateLibvirtd hvB;
  Path calls;

  record Run(int exit, String out) {}

  @BeforeEach
  void setUp() throws Exception {
    env =
        new AgentWithGuest(
            dir,
            "hvA",
            Map.of(
                "migrate.uri",
                "test+unix:///default?socket=" + dir.resolve("%h/run/libvirt-sock")));
    hvB = PrivateLibvirtd.testDriver(dir.resolve("hvB"));
    Path xml = dir.resolve("g1-peer.xml");
    Files.writeString(
        xml,
        "<domain type='test'><name>g1</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
            + "<os><type arch='x86_64'>hvm</type></os></domain>");
    hvB.virsh("define", xml.toString());
    hvB.virsh("start", "g1");
    calls = dir.resolve("crm_node.calls");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path crmNode = bin.resolve("crm_node");
    Files.writeString(
        crmNode,
        "#!/bin/sh\n"
            + "printf '%s\\n' \"$*\" >>'"
            + calls
            + "'\n"
            + "case $1 in -n) echo hvA ;; -l) printf '1 hvA member\\n2 hvB member\\n' ;; esac\n");
    Files.setPosixFilePermissions(crmNode, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterEach
  void tearDown() throws IOException {
    if (hvB != null) {
      hvB.close();
    }
    if (env != null) {
      env.close();
    }
  }

  Run start(String... extraEnv) throws IOException, InterruptedException {
    return action("start", extraEnv);
  }

  Run action(String action, String... extraEnv) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(OcfAgentIT.RA.toString(), action)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Map<String, String> e = new HashMap<>();
    e.put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
    e.put("OCF_ROOT", "/usr/lib/ocf");
    e.put("OCF_RESOURCE_INSTANCE", "vm1");
    e.put("OCF_RESKEY_GuestName", "g1");
    e.put("OCF_RESKEY_DelayAfterGuestOnline", "0");
    e.put("OCF_RESKEY_socket", env.socket.toString());
    for (int i = 0; i < extraEnv.length; i += 2) {
      e.put(extraEnv[i], extraEnv[i + 1]);
    }
    pb.environment().putAll(e);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  List<String> crmNodeCalls() throws IOException {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  @Test
  void underPacemakerTheStartAsksCrmNodeOnceAndStillFindsThePeerRunningTheGuest() throws Exception {
    // Pacemaker probes first (which adds the resource to the agent), then starts (which sends
    // add, then modify, each with the peers).
    Run probe = action("monitor", "OCF_RESKEY_CRM_meta_on_node", "hvA");
    assertThat(probe.exit()).as(probe.out()).isEqualTo(7);
    assertThat(crmNodeCalls()).as("the probe").containsExactly("-l");
    Files.delete(calls);

    Run r = start("OCF_RESKEY_CRM_meta_on_node", "hvA");

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("guest g1 is running (booted) on peer hvB; refusing to start");
    assertThat(env.libvirtd.virsh("domstate", "g1").trim()).isEqualTo("shut off");
    assertThat(crmNodeCalls()).as("this node's name from CRM_meta_on_node").containsExactly("-l");
  }

  @Test
  void runByHandTheStartAsksCrmNodeForThisNodesNameToo() throws Exception {
    Run r = start();

    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("guest g1 is running (booted) on peer hvB; refusing to start");
    assertThat(env.libvirtd.virsh("domstate", "g1").trim()).isEqualTo("shut off");
    assertThat(crmNodeCalls()).containsExactly("-n", "-l");
  }
}
