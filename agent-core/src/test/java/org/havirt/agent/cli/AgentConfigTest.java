package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code havirt agent} without {@code -c} (issue 14, point 4): the default main.cf, or no resources
 * when a Pacemaker-only node has none; never less than a file that exists says.
 */
class AgentConfigTest {
  @TempDir Path dir;
  final StringWriter errText = new StringWriter();
  final PrintWriter err = new PrintWriter(errText, true);

  @Test
  void theDefaultIsEtcHavirtMainCfUnlessHavirtConfDirSaysOtherwise() {
    assertThat(AgentConfig.defaultMainCf(Map.of())).isEqualTo(Path.of("/etc/havirt/main.cf"));
    assertThat(AgentConfig.defaultMainCf(Map.of("HAVIRT_CONF_DIR", dir.toString())))
        .isEqualTo(dir.resolve("main.cf"));
  }

  @Test
  void anAbsentDefaultMainCfMeansNoResources() {
    Optional<LoadedConfig> cfg =
        AgentConfig.load(null, Map.of("HAVIRT_CONF_DIR", dir.toString()), err);
    assertThat(cfg).isPresent();
    assertThat(cfg.get().model.resources()).isEmpty();
    // Engines register KVMGuest resources: its shipped type is there.
    assertThat(cfg.get().catalog.types()).containsKey("KVMGuest");
    assertThat(errText.toString()).isEmpty();
  }

  @Test
  void thePresentDefaultMainCfIsRead() throws Exception {
    Files.writeString(
        dir.resolve("main.cf"),
        "group g ( SystemList = { n1 = 0 } )\n    KVMGuest vm1 ( GuestName = vm1 )\n");
    Optional<LoadedConfig> cfg =
        AgentConfig.load(null, Map.of("HAVIRT_CONF_DIR", dir.toString()), err);
    assertThat(cfg).isPresent();
    assertThat(cfg.get().model.resources()).hasSize(1);
  }

  @Test
  void anInvalidDefaultMainCfIsRefused() throws Exception {
    Files.writeString(dir.resolve("main.cf"), "group g ( SystemList = \n");
    assertThat(AgentConfig.load(null, Map.of("HAVIRT_CONF_DIR", dir.toString()), err)).isEmpty();
    assertThat(errText.toString()).contains(dir.resolve("main.cf") + " has errors");
  }

  @Test
  void anExplicitMainCfThatDoesNotExistIsRefused() {
    Path missing = dir.resolve("typo.cf");
    assertThat(AgentConfig.load(missing, Map.of(), err)).isEmpty();
    assertThat(errText.toString()).contains(missing.toString());
  }
}
