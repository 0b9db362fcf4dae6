package org.havirt.agent.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which main.cf {@code havirt agent} runs with. With {@code -c}, that file, which must exist.
 * Without it, {@code $HAVIRT_CONF_DIR/main.cf} ({@code /etc/havirt/main.cf} when the variable is
 * unset): a node that only runs under Pacemaker needs no main.cf (the OCF agent registers each
 * resource), so when that file does not exist the agent runs with no resources and says so. A file
 * that exists but is invalid, or cannot be read, is refused as always: an agent must never run with
 * less than its administrator wrote. Stateless.
 */
final class AgentConfig {
  private static final Logger log = LoggerFactory.getLogger(AgentConfig.class);

  /** Overrides the configuration directory (tests, and hosts that keep it elsewhere). */
  static final String CONF_DIR_ENV = "HAVIRT_CONF_DIR";

  static final String DEFAULT_CONF_DIR = "/etc/havirt";

  private AgentConfig() {}

  /** Returns the main.cf used without {@code -c}. */
  static Path defaultMainCf(Map<String, String> env) {
    String dir = env.get(CONF_DIR_ENV);
    return Path.of(dir == null || dir.isEmpty() ? DEFAULT_CONF_DIR : dir, "main.cf");
  }

  /**
   * Loads {@code explicit} if given (null: not given), else the default main.cf, or the empty
   * configuration when the default does not exist. Prints errors to {@code err} and returns empty
   * when the agent must not start.
   */
  static Optional<LoadedConfig> load(Path explicit, Map<String, String> env, PrintWriter err) {
    if (explicit != null) {
      return LoadedConfig.load(explicit, err);
    }
    Path main = defaultMainCf(env);
    // notExists, not !exists: a file whose existence cannot be checked (EACCES) is loaded, and
    // refused with the reason, instead of being taken for absent.
    if (Files.notExists(main)) {
      log.info(
          "no configuration file {}; running with no configured resources (engines such as"
              + " Pacemaker register theirs)",
          main);
      return Optional.of(LoadedConfig.empty());
    }
    return LoadedConfig.load(main, err);
  }
}
