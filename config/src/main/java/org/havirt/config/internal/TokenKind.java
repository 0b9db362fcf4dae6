package org.havirt.config.internal;

/** The kinds of token in main.cf and types.cf. */
public enum TokenKind {
  /**
   * A bare word: names, numbers, unquoted values ({@code dc2_cluster1}, {@code 30}, {@code a@b}).
   */
  WORD,
  /** A double-quoted string; the token's text has quotes removed and escapes resolved. */
  STRING,
  LPAREN,
  RPAREN,
  LBRACE,
  RBRACE,
  LBRACKET,
  RBRACKET,
  EQUALS,
  COMMA,
  SEMICOLON,
  /** {@code // …} to the end of the line, or {@code /* … *}{@code /}. */
  COMMENT,
  EOF;

  /** Returns how the kind is named in messages. */
  public String describe() {
    return switch (this) {
      case WORD -> "a word";
      case STRING -> "a quoted string";
      case LPAREN -> "'('";
      case RPAREN -> "')'";
      case LBRACE -> "'{'";
      case RBRACE -> "'}'";
      case LBRACKET -> "'['";
      case RBRACKET -> "']'";
      case EQUALS -> "'='";
      case COMMA -> "','";
      case SEMICOLON -> "';'";
      case COMMENT -> "a comment";
      case EOF -> "the end of the file";
    };
  }
}
