package org.havirt.agent.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.havirt.config.ConfigCheck;
import org.havirt.config.ConfigModel;
import org.havirt.config.ConfigParser;
import org.havirt.config.ConfigPrinter;
import org.havirt.config.Diagnostic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code havirt config}: check and print main.cf/types.cf files. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Check or print VCS-style configuration files (main.cf, types.cf).",
    subcommands = {ConfigCommand.Check.class, ConfigCommand.Print.class})
final class ConfigCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
  }

  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Parse each FILE with its includes and validate it against the types it can use: its own",
        "type definitions, the --types files, then the shipped KVMGuest type. Prints every problem",
        "as file:line:col: error|warning: message."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:every file is valid (warnings may be printed)", "1:at least one error"})
  static final class Check implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "main.cf files to check")
    List<Path> files = new ArrayList<>();

    @Option(
        names = "--types",
        paramLabel = "TYPES_CF",
        description = "extra types.cf to consult for types the files do not define (repeatable)")
    List<Path> types = new ArrayList<>();

    @Option(
        names = {"-q", "--quiet"},
        description = "print only problems, no summary line")
    boolean quiet;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      boolean anyError = false;
      for (Path file : files) {
        ConfigCheck.Result r = ConfigCheck.check(file, types);
        r.diagnostics().forEach(out::println);
        long errors = r.diagnostics().stream().filter(Diagnostic::isError).count();
        long warnings = r.diagnostics().size() - errors;
        anyError |= errors > 0;
        if (!quiet) {
          ConfigModel m = ConfigModel.of(r.files());
          out.printf(
              "%s: %s (%d error%s, %d warning%s; %d group%s, %d resource%s)%n",
              file,
              errors > 0 ? "INVALID" : "valid",
              errors,
              plural(errors),
              warnings,
              plural(warnings),
              m.groups().size(),
              plural(m.groups().size()),
              m.resources().size(),
              plural(m.resources().size()));
        }
      }
      out.flush();
      return anyError ? HavirtMain.EXIT_PROBLEM : 0;
    }

    private static String plural(long n) {
      return n == 1 ? "" : "s";
    }
  }

  @Command(
      name = "print",
      mixinStandardHelpOptions = true,
      description = {
        "Print FILE in normalised form (hacf layout, comments kept). Includes are not expanded.",
        "Nothing is printed if FILE has a syntax error, so the output can safely replace it."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:printed",
        "1:syntax errors (listed on standard error)",
        "2:FILE unreadable"
      })
  static final class Print implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1", paramLabel = "FILE", description = "the file to print")
    Path file;

    @Override
    public Integer call() {
      String text;
      try {
        text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
      } catch (IOException e) {
        PrintWriter err = spec.commandLine().getErr();
        err.println(
            "havirt: cannot read "
                + file
                + ": "
                + (e instanceof java.nio.file.NoSuchFileException
                    ? "no such file"
                    : e.getMessage()));
        err.flush();
        return HavirtMain.EXIT_USAGE;
      }
      ConfigParser.ParseResult r = ConfigParser.parse(file.toString(), text);
      if (r.hasErrors()) {
        PrintWriter err = spec.commandLine().getErr();
        r.diagnostics().forEach(err::println);
        err.flush();
        return HavirtMain.EXIT_PROBLEM;
      }
      PrintWriter out = spec.commandLine().getOut();
      out.print(ConfigPrinter.print(r.file()));
      out.flush();
      return 0;
    }
  }
}
