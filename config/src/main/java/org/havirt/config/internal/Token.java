package org.havirt.config.internal;

/**
 * One token.
 *
 * @param text the word, the string's content, the comment with its markers, or the punctuation
 * @param line 1-based line where the token starts
 * @param column 1-based column where the token starts
 * @param endLine line where the token ends (differs from line only for block comments)
 * @param firstOnLine whether no other token precedes it on its line
 */
public record Token(
    TokenKind kind, String text, int line, int column, int endLine, boolean firstOnLine) {

  /** Returns the token as quoted in messages, e.g. {@code 'requires'} or {@code ')'}. */
  public String describe() {
    return switch (kind) {
      case WORD -> "'" + text + "'";
      case STRING -> "\"" + text + "\"";
      case EOF, COMMENT -> kind.describe();
      default -> kind.describe();
    };
  }
}
