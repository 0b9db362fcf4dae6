package org.havirt.config;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.AttributeDecl.DataType;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.Value;

/** Checks one value against its declaration: shape, element type, association keys. */
final class AttributeChecker {
  private final List<Diagnostic> diags;

  AttributeChecker(List<Diagnostic> diags) {
    this.diags = diags;
  }

  /**
   * Checks {@code value} of attribute {@code name} (written as {@code written}) against {@code
   * decl}.
   */
  void check(String owner, String written, AttributeDecl decl, Value value) {
    String what = "attribute '" + written + "' of " + owner;
    switch (decl.dimension()) {
      case SCALAR -> {
        if (value instanceof Scalar s) {
          element(what, decl.dataType(), s);
        } else {
          diags.add(
              Diagnostic.error(
                  value.position(),
                  what
                      + " takes a single "
                      + decl.dataType().word()
                      + " value, not "
                      + article(value.shape())
                      + ": write "
                      + decl.name()
                      + " = value"));
        }
      }
      case VECTOR, KEYLIST -> {
        if (value instanceof ListValue l) {
          Set<String> seen = new HashSet<>();
          for (Scalar item : l.items()) {
            element(what, decl.dataType(), item);
            if (decl.dimension() == AttributeDecl.Dimension.KEYLIST && !seen.add(item.text())) {
              diags.add(
                  Diagnostic.warning(
                      item.position(),
                      what + " is a keylist: '" + item.text() + "' is listed twice"));
            }
          }
        } else {
          String kind = decl.dimension() == AttributeDecl.Dimension.KEYLIST ? "keylist" : "vector";
          diags.add(
              Diagnostic.error(
                  value.position(),
                  what
                      + " is a "
                      + kind
                      + ": write "
                      + decl.name()
                      + " = { a, b }, not "
                      + article(value.shape())));
        }
      }
      case ASSOCIATION -> {
        if (value instanceof AssocValue a) {
          association(what, decl, a);
        } else if (!(value instanceof ListValue l && l.items().isEmpty())) {
          diags.add(
              Diagnostic.error(
                  value.position(),
                  what
                      + " is an association: write "
                      + decl.name()
                      + " = { Key = value, … }, not "
                      + article(value.shape())));
        }
      }
    }
  }

  private void association(String what, AttributeDecl decl, AssocValue a) {
    Set<String> known = new LinkedHashSet<>();
    if (decl.defaultValue().orElse(null) instanceof AssocValue def) {
      def.entries().forEach(e -> known.add(e.key().text()));
    }
    Set<String> seen = new HashSet<>();
    for (AssocValue.Entry e : a.entries()) {
      String key = e.key().text();
      if (!known.isEmpty() && !known.contains(key)) {
        Optional<String> near = Suggest.closest(key, known);
        diags.add(
            Diagnostic.error(
                e.key().position(),
                what
                    + " has no key '"
                    + key
                    + "'"
                    + near.map(n -> " (did you mean '" + n + "'?)").orElse("")
                    + "; its keys are "
                    + String.join(", ", known)));
        continue;
      }
      if (!seen.add(key)) {
        diags.add(Diagnostic.error(e.key().position(), what + " sets key '" + key + "' twice"));
      }
      element(what + " key '" + key + "'", decl.dataType(), e.value());
    }
  }

  /** Checks one scalar against the declared element type. */
  void element(String what, DataType type, Scalar s) {
    switch (type) {
      case INT -> {
        if (!isInteger(s.text())) {
          diags.add(
              Diagnostic.error(
                  s.position(), what + " must be a whole number, not '" + s.text() + "'"));
        }
      }
      case BOOLEAN -> {
        if (!s.text().equals("0") && !s.text().equals("1")) {
          diags.add(
              Diagnostic.error(s.position(), what + " must be 0 or 1, not '" + s.text() + "'"));
        }
      }
      case STR, I18NSTR -> {
        // any text
      }
    }
  }

  static boolean isInteger(String text) {
    if (text.isEmpty() || text.length() > 19) {
      return false;
    }
    int start = text.charAt(0) == '-' || text.charAt(0) == '+' ? 1 : 0;
    if (start == text.length()) {
      return false;
    }
    for (int i = start; i < text.length(); i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static String article(String shape) {
    return (shape.startsWith("a") || shape.startsWith("e") ? "an " : "a ") + shape;
  }
}
