package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A run builds only the subcommand it names, and that changes nothing a user sees. */
class OneSubcommandTest {
  @Test
  void aRunOfOneSubcommandBuildsOnlyThatOne() {
    assertThat(HavirtMain.commandLine("status").getSubcommands().keySet())
        .containsExactly("status");
    assertThat(HavirtMain.commandLine("invoke").getSubcommands().keySet())
        .containsExactly("invoke");
  }

  @Test
  void helpATypoOrNoSubcommandGetThemAll() {
    int all = HavirtMain.COMMANDS.size();
    assertThat(HavirtMain.commandLine(null).getSubcommands()).hasSize(all);
    assertThat(HavirtMain.commandLine("help").getSubcommands()).hasSize(all);
    assertThat(HavirtMain.commandLine("--help").getSubcommands()).hasSize(all);
    assertThat(HavirtMain.commandLine("stauts").getSubcommands()).hasSize(all);
  }

  @Test
  void aSubcommandsHelpAndUsageErrorsAreTheSameEitherWay() {
    for (String[] args :
        new String[][] {
          {"status", "--help"},
          {"invoke", "--help"},
          {"encrypt", "--help"},
          {"status", "--no-such-option"},
          {"monitor"},
          {"stauts"},
          {"--help"},
          {"--version"}
        }) {
      assertThat(run(HavirtMain.commandLine(args[0]), args))
          .as(String.join(" ", args))
          .isEqualTo(run(HavirtMain.commandLine(), args));
    }
  }

  private static String run(CommandLine cl, String[] args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return code + "\n" + out + "\n--\n" + err;
  }
}
