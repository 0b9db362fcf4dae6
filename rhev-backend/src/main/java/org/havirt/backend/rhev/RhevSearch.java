package org.havirt.backend.rhev;

/**
 * RHEV-M {@code search=} queries for one exact name. The value is always double-quoted with {@code
 * \} before {@code "} and {@code \}, so a space or a quote in a name is part of the value, not the
 * query's syntax; {@code case_sensitive=true} keeps names differing in case apart. The engine still
 * takes {@code *} as a wildcard in a quoted value, so callers compare every match with the name.
 * Stateless.
 */
final class RhevSearch {
  private RhevSearch() {}

  /** {@code "value"}, escaped for the engine's search grammar. */
  static String quote(String value) {
    return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** The query pairs of a search by {@code field} for {@code value}. */
  static String[] by(String field, String value) {
    return new String[] {"search", field + "=" + quote(value), "case_sensitive", "true"};
  }

  /** The query pairs of a search by name. */
  static String[] byName(String name) {
    return by("name", name);
  }
}
