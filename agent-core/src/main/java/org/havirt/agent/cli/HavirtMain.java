package org.havirt.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code havirt} command: the agent daemon and the tools that talk to it. Its subcommands are
 * {@link #COMMANDS}, added in code rather than in the annotation so that a run builds picocli's
 * model of the one subcommand it runs only (building all of them cost 0.2–0.4 s per call).
 */
@Command(
    name = "havirt",
    mixinStandardHelpOptions = true,
    versionProvider = HavirtMain.Version.class,
    description = "High-availability agent for virtual machines (KVM and RHEV).",
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

  /** Every subcommand, in the order help lists them. */
  static final List<Class<?>> COMMANDS =
      List.of(
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
          CommandLine.HelpCommand.class);

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing a command; see 'havirt --help'");
  }

  /** Returns a command line ready to execute, with havirt's exit codes and error printing. */
  public static CommandLine commandLine() {
    return commandLine(null);
  }

  /**
   * Returns a command line with every subcommand, or with only the one named {@code only} when it
   * is one of them and not {@code help} (help lists them all). Parsing and help of that subcommand
   * are the same either way; anything else (no subcommand, an option, a typo) gets them all, so
   * usage errors and suggestions are unchanged.
   */
  static CommandLine commandLine(String only) {
    CommandLine cl = new CommandLine(new HavirtMain());
    boolean one =
        only != null
            && !"help".equals(only)
            && COMMANDS.stream().anyMatch(c -> only.equals(name(c)));
    for (Class<?> c : COMMANDS) {
      if (!one || only.equals(name(c))) {
        cl.addSubcommand(c);
      }
    }
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
    System.exit(commandLine(args.length > 0 ? args[0] : null).execute(args));
  }

  private static String name(Class<?> c) {
    return c.getAnnotation(Command.class).name();
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
