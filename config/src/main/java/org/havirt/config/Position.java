package org.havirt.config;

import java.util.Objects;

/**
 * Where something was written: file, line and column, all for humans (1-based).
 *
 * <p>Positions take no part in equality: two models compare equal when they say the same thing,
 * wherever it was written. This is what makes "print then parse gives the same model" checkable.
 */
public final class Position {
  /** For model elements built in code rather than parsed. */
  public static final Position NONE = new Position("<none>", 0, 0);

  private final String file;
  private final int line;
  private final int column;

  public Position(String file, int line, int column) {
    this.file = Objects.requireNonNull(file, "file");
    this.line = line;
    this.column = column;
  }

  public String file() {
    return file;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  /** Returns {@code file:line:col}. */
  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }

  /** Every position equals every other: see the class comment. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Position;
  }

  @Override
  public int hashCode() {
    return 0;
  }

  /** Orders by file, then line, then column. */
  public static int compare(Position a, Position b) {
    int c = a.file.compareTo(b.file);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.line, b.line);
    return c != 0 ? c : Integer.compare(a.column, b.column);
  }
}
