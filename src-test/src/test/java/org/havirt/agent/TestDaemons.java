package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.havirt.config.ConfigCheck;
import org.havirt.config.ConfigModel;
import org.havirt.config.TypeCatalog;
import org.havirt.types.backend.VmBackendFactory;

/** Starts the real agent daemon in-process for a test, from a main.cf that must be valid. */
final class TestDaemons {
  private TestDaemons() {}

  static AgentDaemon start(
      Path main, String system, Path socket, Set<String> allowed, Map<String, String> node)
      throws IOException {
    return start(main, system, socket, allowed, node, 64);
  }

  /** As above, serving at most {@code maxConnections} socket connections at once. */
  static AgentDaemon start(
      Path main,
      String system,
      Path socket,
      Set<String> allowed,
      Map<String, String> node,
      int maxConnections)
      throws IOException {
    ConfigCheck.Result cfg = ConfigCheck.check(main, List.of());
    assertThat(cfg.diagnostics()).as("the test's main.cf").filteredOn(d -> d.isError()).isEmpty();
    return AgentDaemon.start(
        ConfigModel.of(cfg.files()),
        TypeCatalog.from(cfg.files(), new ArrayList<>()),
        new AgentDaemon.Options(
            system,
            socket,
            allowed,
            new VmBackendFactory.Settings(node),
            8,
            "test",
            maxConnections));
  }

  /** The current user: the only one the test daemons let on their socket. */
  static Set<String> me() {
    return Set.of(System.getProperty("user.name"));
  }
}
