package org.havirt.agent.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.havirt.agent.AgentDaemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code havirt agent}: the daemon. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Run the agent daemon: manage the resources of main.cf that this system may run, and serve",
      "engines and the havirt CLI on a Unix socket (protocol v1, docs/protocol.md). Starting it",
      "probes every resource and changes no VM."
    })
final class AgentCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "MAIN_CF",
      description = {
        "the cluster configuration (default: $HAVIRT_CONF_DIR/main.cf, else /etc/havirt/main.cf;",
        "when that default file does not exist the agent runs with no configured resources)"
      })
  Path config;

  @Option(
      names = "--sys",
      paramLabel = "SYSTEM",
      description = "this node's system name (default: the short host name)")
  String system;

  @Mixin SocketOption socket;

  @Option(
      names = "--allow-user",
      paramLabel = "USER",
      defaultValue = "root",
      description = "a user allowed on the socket (repeatable; default ${DEFAULT-VALUE})")
  List<String> allowUsers = new java.util.ArrayList<>();

  @Option(
      names = "--socket-group",
      paramLabel = "GROUP",
      description =
          "give the socket (0660) and its directory (0750) this group, so a non-root engine in it"
              + " can connect; --allow-user still decides who is served")
  String socketGroup;

  @Option(
      names = "--threads",
      paramLabel = "N",
      defaultValue = "16",
      description = "entry points that may run at once (default ${DEFAULT-VALUE})")
  int threads;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      defaultValue = "64",
      description =
          "socket connections served at once; the next one is refused with busy"
              + " (default ${DEFAULT-VALUE})")
  int maxConnections;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    if (maxConnections < 1) {
      throw new ParameterException(spec.commandLine(), "--max-connections must be at least 1");
    }
    PrintWriter err = spec.commandLine().getErr();
    Optional<LoadedConfig> cfg = AgentConfig.load(config, System.getenv(), err);
    if (cfg.isEmpty()) {
      return HavirtMain.EXIT_USAGE;
    }
    String sys = system != null ? system : LoadedConfig.defaultSystem();
    AgentDaemon daemon =
        AgentDaemon.start(
            cfg.get().model,
            cfg.get().catalog,
            new AgentDaemon.Options(
                sys,
                socket.path(),
                Set.copyOf(allowUsers),
                node.settings(),
                threads,
                HavirtMain.version(),
                maxConnections,
                Optional.ofNullable(socketGroup)));
    SystemdSupervision systemd = SystemdSupervision.start(daemon, System.getenv());
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    // Stopping the agent never stops a VM: engines decide that.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  systemd.stopping();
                  daemon.close();
                  stopped.complete(null);
                },
                "havirt-shutdown"));
    int code = AgentExit.await(stopped, daemon.socketFailure());
    if (code != 0) {
      // The exit that follows runs the hook above; a close stuck on a hung backend is cut short.
      AgentExit.armHalt(code, AgentExit.SHUTDOWN_BOUND, Runtime.getRuntime()::halt);
    }
    return code;
  }
}
