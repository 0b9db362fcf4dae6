package org.havirt.config.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Splits main.cf/types.cf text into tokens. Never throws on bad input: problems go to the error
 * sink with their line and column, and lexing goes on.
 *
 * <p>Strings end on their own line: an unbalanced quote is reported where it opened instead of
 * swallowing the rest of the file.
 */
public final class Lexer {
  private final String src;
  private final BiConsumer<int[], String> errors;
  private final List<Token> tokens = new ArrayList<>();
  private int pos;
  private int line = 1;
  private int lineStart;
  private int lastTokenLine;

  /**
   * @param errors receives {line, column} and a message for each problem
   */
  public Lexer(String src, BiConsumer<int[], String> errors) {
    this.src = src;
    this.errors = errors;
  }

  /** Returns every token, comments included, ending with one EOF token. */
  public List<Token> tokenize() {
    int n = src.length();
    while (true) {
      skipBlanks();
      if (pos >= n) {
        add(TokenKind.EOF, "", line, col(pos), line);
        return tokens;
      }
      char c = src.charAt(pos);
      int startCol = col(pos);
      int startLine = line;
      switch (c) {
        case '(' -> punct(TokenKind.LPAREN, "(");
        case ')' -> punct(TokenKind.RPAREN, ")");
        case '{' -> punct(TokenKind.LBRACE, "{");
        case '}' -> punct(TokenKind.RBRACE, "}");
        case '[' -> punct(TokenKind.LBRACKET, "[");
        case ']' -> punct(TokenKind.RBRACKET, "]");
        case '=' -> punct(TokenKind.EQUALS, "=");
        case ',' -> punct(TokenKind.COMMA, ",");
        case ';' -> punct(TokenKind.SEMICOLON, ";");
        case '"' -> string(startLine, startCol);
        default -> {
          if (c == '/' && pos + 1 < n && src.charAt(pos + 1) == '/') {
            lineComment(startLine, startCol);
          } else if (c == '/' && pos + 1 < n && src.charAt(pos + 1) == '*') {
            blockComment(startLine, startCol);
          } else if (c < ' ' || c == 0x7f) {
            errors.accept(
                new int[] {line, startCol},
                String.format("unexpected control character U+%04X", (int) c));
            pos++;
          } else {
            word(startLine, startCol);
          }
        }
      }
    }
  }

  private void skipBlanks() {
    int n = src.length();
    while (pos < n) {
      char c = src.charAt(pos);
      if (c == '\n') {
        pos++;
        line++;
        lineStart = pos;
      } else if (c == ' '
          || c == '\t'
          || c == '\r'
          || c == '\f'
          || c == '\u00a0'
          || c == '\ufeff') {
        pos++;
      } else {
        return;
      }
    }
  }

  private int col(int at) {
    return at - lineStart + 1;
  }

  private void punct(TokenKind kind, String text) {
    add(kind, text, line, col(pos), line);
    pos++;
  }

  private void add(TokenKind kind, String text, int startLine, int startCol, int endLine) {
    boolean first = tokens.isEmpty() || lastTokenLine != startLine;
    tokens.add(new Token(kind, text, startLine, startCol, endLine, first));
    lastTokenLine = endLine;
  }

  private static boolean isWordChar(char c) {
    return switch (c) {
      case '(', ')', '{', '}', '[', ']', '=', ',', ';', '"', ' ', '\t', '\n', '\r', '\f' -> false;
      default -> c >= ' ' && c != 0x7f && c != '\u00a0';
    };
  }

  private void word(int startLine, int startCol) {
    int start = pos;
    int n = src.length();
    while (pos < n && isWordChar(src.charAt(pos))) {
      // A comment may follow a word directly: "a//note" is the word a and a comment.
      if (src.charAt(pos) == '/' && pos + 1 < n && src.charAt(pos + 1) == '/' && pos > start) {
        char prev = src.charAt(pos - 1);
        if (prev != ':') { // keep URLs such as https://host whole
          break;
        }
      }
      pos++;
    }
    add(TokenKind.WORD, src.substring(start, pos), startLine, startCol, startLine);
  }

  private void string(int startLine, int startCol) {
    StringBuilder sb = new StringBuilder();
    int quoteAt = pos;
    pos++; // opening quote
    int n = src.length();
    while (pos < n) {
      char c = src.charAt(pos);
      if (c == '"') {
        pos++;
        add(TokenKind.STRING, sb.toString(), startLine, startCol, startLine);
        return;
      }
      if (c == '\n') {
        break;
      }
      if (c == '\\' && pos + 1 < n && src.charAt(pos + 1) != '\n') {
        char next = src.charAt(pos + 1);
        sb.append(
            switch (next) {
              case 'n' -> '\n';
              case 't' -> '\t';
              default -> next;
            });
        pos += 2;
        continue;
      }
      sb.append(c);
      pos++;
    }
    errors.accept(
        new int[] {startLine, startCol},
        "unterminated string: the quote opened here is not closed on the same line");
    boolean valueExpected =
        !tokens.isEmpty() && tokens.get(tokens.size() - 1).kind() == TokenKind.EQUALS;
    if (valueExpected) {
      // The rest of the line is the best guess at the value the author meant.
      add(TokenKind.STRING, sb.toString().stripTrailing(), startLine, startCol, startLine);
    } else {
      // A stray quote after a value, as in `User = admin@example.com",`: skip only the quote so
      // the rest of the line is read normally and no follow-on errors are reported.
      pos = quoteAt + 1;
    }
  }

  private void lineComment(int startLine, int startCol) {
    int start = pos;
    int n = src.length();
    while (pos < n && src.charAt(pos) != '\n') {
      pos++;
    }
    add(
        TokenKind.COMMENT,
        src.substring(start, pos).stripTrailing(),
        startLine,
        startCol,
        startLine);
  }

  private void blockComment(int startLine, int startCol) {
    int start = pos;
    int n = src.length();
    pos += 2;
    while (pos < n) {
      char c = src.charAt(pos);
      if (c == '*' && pos + 1 < n && src.charAt(pos + 1) == '/') {
        pos += 2;
        add(TokenKind.COMMENT, src.substring(start, pos), startLine, startCol, line);
        return;
      }
      if (c == '\n') {
        line++;
        lineStart = pos + 1;
      }
      pos++;
    }
    errors.accept(
        new int[] {startLine, startCol}, "unterminated block comment: '/*' is never closed");
    add(TokenKind.COMMENT, src.substring(start, pos) + "*/", startLine, startCol, line);
  }
}
