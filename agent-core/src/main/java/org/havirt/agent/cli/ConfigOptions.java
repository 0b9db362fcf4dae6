package org.havirt.agent.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The cluster configuration and this node's system name: what every command on resources needs. */
final class ConfigOptions {
  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "MAIN_CF",
      description = "the cluster configuration")
  Path config;

  @Option(
      names = "--sys",
      paramLabel = "SYSTEM",
      description = "this node's system name (default: the short host name)")
  String system;

  /** Returns --sys, else the short host name. */
  String system() {
    return system != null ? system : LoadedConfig.defaultSystem();
  }
}
