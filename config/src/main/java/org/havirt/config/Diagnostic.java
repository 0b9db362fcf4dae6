package org.havirt.config;

import java.util.Comparator;
import java.util.Objects;

/**
 * One problem found in a configuration, printed as {@code file:line:col: error: message}.
 *
 * @param position where the problem is
 * @param message a plain-language sentence saying what is wrong and, where possible, what to do
 */
public record Diagnostic(Severity severity, Position position, String message) {
  /** Orders by place in the files, errors first at the same place. */
  public static final Comparator<Diagnostic> BY_POSITION =
      (a, b) -> {
        int c = Position.compare(a.position, b.position);
        return c != 0 ? c : a.severity.compareTo(b.severity);
      };

  public Diagnostic {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(message, "message");
  }

  public static Diagnostic error(Position at, String message) {
    return new Diagnostic(Severity.ERROR, at, message);
  }

  public static Diagnostic warning(Position at, String message) {
    return new Diagnostic(Severity.WARNING, at, message);
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  @Override
  public String toString() {
    return position + ": " + severity.word() + ": " + message;
  }
}
