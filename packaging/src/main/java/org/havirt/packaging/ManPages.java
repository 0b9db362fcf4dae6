package org.havirt.packaging;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.havirt.agent.cli.HavirtMain;
import org.havirt.verify.HavirtVerify;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the section 1 manual pages of {@code havirt}, each of its subcommands ({@code
 * havirt-agent}, …) and {@code havirtverify} from the commands' own picocli model, so a page can
 * never disagree with {@code --help}. The pages are gzipped troff with a fixed header (no date, a
 * zero gzip timestamp), so two builds of the same sources give the same bytes.
 *
 * <p>Run at build time by the packaging module: {@code ManPages OUTPUT_DIR VERSION}.
 */
public final class ManPages {
  private ManPages() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: ManPages OUTPUT_DIR VERSION");
      System.exit(2);
    }
    for (Map.Entry<String, String> page : pages(args[1]).entrySet()) {
      write(Path.of(args[0]).resolve(page.getKey() + ".1.gz"), page.getValue());
    }
  }

  /** Returns every page: its name (e.g. {@code havirt-agent}) and its troff source. */
  public static Map<String, String> pages(String version) {
    Map<String, String> pages = new java.util.LinkedHashMap<>();
    CommandLine havirt = HavirtMain.commandLine();
    addTree(pages, havirt, "havirt", version);
    CommandLine verify = new CommandLine(new HavirtVerify());
    pages.put("havirtverify", page(verify, "havirtverify", List.of("havirt"), version));
    return pages;
  }

  private static void addTree(
      Map<String, String> pages, CommandLine cmd, String name, String version) {
    List<String> seeAlso = new ArrayList<>();
    for (var sub : cmd.getSubcommands().entrySet()) {
      if (!isHelp(sub.getValue())) {
        seeAlso.add(name + "-" + sub.getKey());
      }
    }
    if (!name.equals("havirt")) {
      seeAlso.add(0, "havirt");
    } else {
      seeAlso.add("havirtverify");
    }
    pages.put(name, page(cmd, name, seeAlso, version));
    for (var sub : cmd.getSubcommands().entrySet()) {
      if (!isHelp(sub.getValue())) {
        addTree(pages, sub.getValue(), name + "-" + sub.getKey(), version);
      }
    }
  }

  private static boolean isHelp(CommandLine cmd) {
    return cmd.getCommand() instanceof CommandLine.HelpCommand;
  }

  static String page(CommandLine cmd, String name, List<String> seeAlso, String version) {
    cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    CommandSpec spec = cmd.getCommandSpec();
    CommandLine.Help help = cmd.getHelp();
    StringBuilder out = new StringBuilder();
    out.append(".TH ")
        .append(name.toUpperCase(java.util.Locale.ROOT))
        .append(" 1 \"\" \"havirt ")
        .append(version)
        .append("\" \"havirt manual\"\n");
    out.append(".SH NAME\n")
        .append(escape(name))
        .append(" \\- ")
        .append(escape(firstLine(spec.usageMessage().description())))
        .append('\n');
    out.append(".SH SYNOPSIS\n.nf\n")
        .append(escape(help.synopsis(0).stripTrailing()))
        .append("\n.fi\n");
    out.append(".SH DESCRIPTION\n");
    for (String line : spec.usageMessage().description()) {
      out.append(line.isBlank() ? ".PP" : escape(line.strip())).append('\n');
    }
    if (!spec.positionalParameters().isEmpty()) {
      out.append(".SH ARGUMENTS\n");
      for (PositionalParamSpec p : spec.positionalParameters()) {
        out.append(".TP\n.I ").append(escape(p.paramLabel())).append('\n');
        describe(out, p);
      }
    }
    if (!spec.options().isEmpty()) {
      out.append(".SH OPTIONS\n");
      for (OptionSpec o : spec.options()) {
        if (o.hidden()) {
          continue;
        }
        out.append(".TP\n");
        List<String> names = new ArrayList<>();
        for (String n : o.names()) {
          names.add("\\fB" + escape(n) + "\\fR");
        }
        out.append(String.join(", ", names));
        if (o.arity().max() > 0) {
          out.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
        }
        out.append('\n');
        describe(out, o);
      }
    }
    List<String> commands = new ArrayList<>();
    for (var sub : cmd.getSubcommands().entrySet()) {
      if (!isHelp(sub.getValue())) {
        commands.add(sub.getKey());
      }
    }
    if (!commands.isEmpty()) {
      out.append(".SH COMMANDS\n");
      for (String c : commands) {
        CommandSpec s = cmd.getSubcommands().get(c).getCommandSpec();
        out.append(".TP\n.B ").append(escape(c)).append('\n');
        out.append(escape(firstLine(s.usageMessage().description()))).append('\n');
        out.append("See \\fB").append(escape(name + "-" + c)).append("\\fR(1).\n");
      }
    }
    Map<String, String> exits = spec.usageMessage().exitCodeList();
    if (!exits.isEmpty()) {
      out.append(".SH EXIT STATUS\n");
      for (var e : exits.entrySet()) {
        out.append(".TP\n.B ")
            .append(escape(e.getKey().strip()))
            .append('\n')
            .append(escape(e.getValue().strip()))
            .append('\n');
      }
    }
    out.append(".SH SEE ALSO\n");
    List<String> refs = new ArrayList<>();
    for (String s : seeAlso) {
      refs.add("\\fB" + escape(s) + "\\fR(1)");
    }
    out.append(String.join(", ", refs)).append('\n');
    out.append(".PP\nThe full documentation is in /usr/share/doc/havirt and at\n")
        .append(".UR https://github.com/havirt/havirt\n.UE .\n");
    return out.toString();
  }

  private static void describe(StringBuilder out, ArgSpec arg) {
    String[] lines = arg.description();
    List<String> text = new ArrayList<>();
    for (String l : lines) {
      text.add(l.strip());
    }
    String joined = String.join(" ", text).strip();
    out.append(escape(joined.isEmpty() ? "(no description)" : joined)).append('\n');
  }

  private static String firstLine(String[] description) {
    StringBuilder first = new StringBuilder();
    for (String l : description) {
      if (l.isBlank()) {
        break;
      }
      first.append(first.length() == 0 ? "" : " ").append(l.strip());
    }
    String s = first.toString();
    int dot = s.indexOf(". ");
    return dot > 0 ? s.substring(0, dot + 1) : s;
  }

  /**
   * Escapes text for troff: backslashes, hyphens (so options copy and paste as ASCII), and a
   * leading dot or quote that troff would read as a request.
   */
  static String escape(String text) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (out.length() > 0) {
        out.append('\n');
      }
      String l = line.replace("\\", "\\e").replace("-", "\\-");
      if (l.startsWith(".") || l.startsWith("'")) {
        l = "\\&" + l;
      }
      out.append(l);
    }
    return out.toString();
  }

  private static void write(Path file, String troff) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
      o.write(troff.getBytes(StandardCharsets.UTF_8));
    }
  }
}
