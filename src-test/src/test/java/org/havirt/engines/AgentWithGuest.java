package org.havirt.engines;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.havirt.agent.AgentDaemon;
import org.havirt.agent.TestDaemonsPublic;
import org.havirt.testing.PrivateLibvirtd;

/**
 * What an engine integration test needs: a private test-driver libvirtd with guest g1 defined (shut
 * off), and a havirt agent with an empty main.cf, as under an engine that registers its resources
 * itself.
 */
final class AgentWithGuest implements AutoCloseable {
  final PrivateLibvirtd libvirtd;
  final Path socket;
  private final Path main;
  private final String system;
  private final Map<String, String> node;
  AgentDaemon daemon;

  AgentWithGuest(Path dir, String system, Map<String, String> extraNode) throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    libvirtd = PrivateLibvirtd.testDriver(dir.resolve("tdrv"));
    Path xml = dir.resolve("g1.xml");
    Files.writeString(
        xml,
        "<domain type='test'><name>g1</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
            + "<os><type arch='x86_64'>hvm</type></os></domain>");
    libvirtd.virsh("define", xml.toString());
    main = Files.writeString(dir.resolve("main.cf"), "// resources come from the engine\n");
    socket = dir.resolve("agent.sock");
    this.system = system;
    node = new HashMap<>(extraNode);
    node.put("libvirt.uri", libvirtd.uri());
    node.put("state.dir", dir.resolve("state").toString());
    startAgent();
  }

  /** Starts the agent (again) on the same socket, as systemd does after a restart. */
  void startAgent() throws Exception {
    daemon = TestDaemonsPublic.start(main, system, socket, node);
  }

  /** Stops the agent (the guests keep running), as when it crashes or is stopped. */
  void stopAgent() {
    if (daemon != null) {
      daemon.close();
      daemon = null;
    }
  }

  @Override
  public void close() throws IOException {
    stopAgent();
    libvirtd.close();
  }
}
