package org.havirt.agent.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the agent's socket is: the same default for the daemon and every client command. */
final class SocketOption {
  @Option(
      names = "--socket",
      paramLabel = "PATH",
      defaultValue = "${env:HAVIRT_SOCKET:-/run/havirt/agent.sock}",
      description = "the agent's socket (env HAVIRT_SOCKET; default ${DEFAULT-VALUE})")
  Path socket;

  Path path() {
    return socket;
  }
}
