package org.havirt.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code havirt} command: the agent daemon and the tools that talk to it. */
@Command(
    name = "havirt",
    mixinStandardHelpOptions = true,
    versionProvider = HavirtMain.Version.class,
    description = "High-availability agent for virtual machines (KVM and RHEV).",
    subcommands = {
      AgentCommand.class,
      ClientCommands.Status.class,
      ClientCommands.Online.class,
      ClientCommands.Offline.class,
      ClientCommands.Monitor.class,
      ClientCommands.Clean.class,
      ClientCommands.Migrate.class,
      ClientCommands.Action.class,
      ClientCommands.Clear.class,
      ClientCommands.Watch.class,
      ConfigCommand.class,
      InvokeCommand.class,
      EncryptCommand.class,
      TriggerCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:the command ran and found a problem (e.g. an invalid configuration)",
      "2:bad usage or unreadable input"
    })
public final class HavirtMain implements Runnable {
  /** The command ran and found a problem. */
  public static final int EXIT_PROBLEM = 1;

  /** The command was misused. */
  public static final int EXIT_USAGE = 2;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing a command; see 'havirt --help'");
  }

  /** Returns a command line ready to execute, with havirt's exit codes and error printing. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new HavirtMain());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          // A tool prints one clear line, never a stack trace, for failures it did not expect.
          PrintWriter err = cmd.getErr();
          err.println(
              "havirt: "
                  + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()));
          err.flush();
          return EXIT_PROBLEM;
        });
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Returns the version of this build. */
  public static String version() {
    try (InputStream in =
        HavirtMain.class.getResourceAsStream("/org/havirt/agent/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"havirt " + version()};
    }
  }
}
