package org.havirt.config;

import java.util.ArrayList;
import java.util.List;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.internal.Lexer;
import org.havirt.config.internal.Parser;

/** Parses main.cf and types.cf text. Pure and thread-safe. */
public final class ConfigParser {
  private ConfigParser() {}

  /** The outcome of parsing one file: everything readable, and every problem found. */
  public record ParseResult(ConfigFile file, List<Diagnostic> diagnostics) {
    public ParseResult {
      diagnostics = List.copyOf(diagnostics);
    }

    public boolean hasErrors() {
      return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
  }

  /**
   * Parses {@code text}; {@code fileName} names the file in positions. Never throws on bad input:
   * problems are in the result's diagnostics, in file order.
   */
  public static ParseResult parse(String fileName, String text) {
    List<Diagnostic> diags = new ArrayList<>();
    Lexer lexer =
        new Lexer(
            text,
            (lc, msg) -> diags.add(Diagnostic.error(new Position(fileName, lc[0], lc[1]), msg)));
    Parser parser = new Parser(fileName, lexer.tokenize(), diags);
    ConfigFile file = parser.parseFile();
    diags.sort(Diagnostic.BY_POSITION);
    return new ParseResult(file, diags);
  }
}
