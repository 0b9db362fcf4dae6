package org.havirt.testing.rhevm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The part of the engine's {@code search=} grammar that havirt uses, parsed as strictly as the
 * engine: terms {@code field=value} joined by {@code and}. A value is either one word (no space, no
 * double quote) or a double-quoted string in which {@code \"} and {@code \\} stand for a quote and
 * a backslash. Anything else (a second word after an unquoted value, an unclosed quote) is a syntax
 * error, which the engine answers with HTTP 400. {@code *} is a wildcard in quoted values too, as
 * in the engine, which turns it into SQL's {@code %}: a client that wants one exact name must still
 * compare names itself. Matching ignores case unless {@code case_sensitive=true}. Stateless.
 */
final class SimSearch {
  private SimSearch() {}

  /** One {@code field=value} term; {@code value} is unescaped, wildcards still in it. */
  record Term(String field, String value) {
    boolean matches(String actual, boolean caseSensitive) {
      String rx =
          java.util.Arrays.stream(value.split("\\*", -1))
              .map(Pattern::quote)
              .collect(java.util.stream.Collectors.joining(".*"));
      int flags = caseSensitive ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE;
      return Pattern.compile(rx, flags | Pattern.DOTALL).matcher(actual).matches();
    }
  }

  /** The search's syntax error, answered with HTTP 400. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message) {
      super(message);
    }
  }

  /** Parses {@code search}; an empty search has no terms (everything matches). */
  static List<Term> parse(String search) throws SyntaxError {
    List<Term> terms = new ArrayList<>();
    int i = skip(search, 0);
    while (i < search.length()) {
      if (!terms.isEmpty()) {
        if (!search.regionMatches(true, i, "and", 0, 3)
            || i + 3 >= search.length()
            || !Character.isWhitespace(search.charAt(i + 3))) {
          throw new SyntaxError("expected 'and' at " + i + " in '" + search + "'");
        }
        i = skip(search, i + 3);
      }
      int eq = search.indexOf('=', i);
      if (eq < 0) {
        throw new SyntaxError("expected field=value at " + i + " in '" + search + "'");
      }
      String field = search.substring(i, eq).trim().toLowerCase(Locale.ROOT);
      if (!field.matches("[a-z_.]+")) {
        throw new SyntaxError("bad field '" + field + "' in '" + search + "'");
      }
      i = eq + 1;
      StringBuilder v = new StringBuilder();
      if (i < search.length() && search.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < search.length()) {
          char c = search.charAt(i++);
          if (c == '\\' && i < search.length()) {
            v.append(search.charAt(i++));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            v.append(c);
          }
        }
        if (!closed) {
          throw new SyntaxError("unclosed quote in '" + search + "'");
        }
      } else {
        while (i < search.length()
            && !Character.isWhitespace(search.charAt(i))
            && search.charAt(i) != '"') {
          v.append(search.charAt(i++));
        }
        if (i < search.length() && search.charAt(i) == '"') {
          throw new SyntaxError("a quote inside an unquoted value in '" + search + "'");
        }
      }
      if (v.length() == 0) {
        throw new SyntaxError("empty value in '" + search + "'");
      }
      terms.add(new Term(field, v.toString()));
      i = skip(search, i);
    }
    return terms;
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }
}
