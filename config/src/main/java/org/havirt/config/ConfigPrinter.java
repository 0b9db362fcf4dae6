package org.havirt.config;

import java.util.List;
import java.util.Optional;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.ClusterDef;
import org.havirt.config.ast.Comment;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.GroupDependency;
import org.havirt.config.ast.Include;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.ResourceDef;
import org.havirt.config.ast.ResourceDependency;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.Statement;
import org.havirt.config.ast.SystemDef;
import org.havirt.config.ast.TypeDef;
import org.havirt.config.ast.Value;

/**
 * Prints a configuration model in hacf's layout: one statement after another, group members
 * indented under their group, closing parentheses at the attributes' indent. Comments are kept.
 * Parsing the output gives back the same model. Pure and thread-safe.
 */
public final class ConfigPrinter {
  private static final String INDENT = "    ";

  private ConfigPrinter() {}

  /** Returns the normalised text of {@code file}. */
  public static String print(ConfigFile file) {
    StringBuilder out = new StringBuilder();
    boolean first = true;
    for (Statement s : file.statements()) {
      if (!first) {
        out.append('\n');
      }
      first = false;
      statement(out, s, "");
    }
    if (!file.trailingComments().isEmpty() && !first) {
      out.append('\n');
    }
    comments(out, file.trailingComments(), "");
    return out.toString();
  }

  private static void statement(StringBuilder out, Statement s, String indent) {
    comments(out, s.comments(), indent);
    if (s instanceof Include i) {
      out.append(indent).append("include ").append(quote(i.path())).append('\n');
    } else if (s instanceof ClusterDef c) {
      block(out, indent, "cluster " + c.name(), c.attributes(), c.closingComments());
    } else if (s instanceof SystemDef c) {
      block(out, indent, "system " + c.name(), c.attributes(), c.closingComments());
    } else if (s instanceof ResourceDef r) {
      block(out, indent, r.type() + " " + r.name(), r.attributes(), r.closingComments());
    } else if (s instanceof ResourceDependency d) {
      out.append(indent).append(d.parent()).append(" requires ").append(d.child());
      trailing(out, d.trailing());
    } else if (s instanceof GroupDependency d) {
      out.append(indent);
      d.explicitParent().ifPresent(p -> out.append(p).append(' '));
      out.append("requires group ").append(d.group()).append(' ').append(d.category().word());
      out.append(' ').append(d.location().word()).append(' ').append(d.rigidity().word());
      trailing(out, d.trailing());
    } else if (s instanceof GroupDef g) {
      block(out, indent, "group " + g.name(), g.attributes(), g.closingComments());
      for (Statement m : g.members()) {
        out.append('\n');
        statement(out, m, indent + INDENT);
      }
    } else if (s instanceof TypeDef t) {
      out.append(indent).append("type ").append(t.name()).append(" (\n");
      for (AttributeDecl d : t.declarations()) {
        decl(out, d, indent + INDENT);
      }
      comments(out, t.closingComments(), indent + INDENT);
      out.append(indent).append(")\n");
    }
  }

  private static void block(
      StringBuilder out, String indent, String head, List<Attribute> attrs, List<Comment> closing) {
    out.append(indent).append(head).append(" (\n");
    String inner = indent + INDENT;
    for (Attribute a : attrs) {
      comments(out, a.comments(), inner);
      out.append(inner).append(a.qualifiedName()).append(" = ");
      value(out, a.value());
      trailing(out, a.trailing());
    }
    comments(out, closing, inner);
    out.append(inner).append(")\n");
  }

  private static void decl(StringBuilder out, AttributeDecl d, String indent) {
    comments(out, d.comments(), indent);
    out.append(indent);
    if (d.isStatic()) {
      out.append("static ");
    }
    if (d.isTemp()) {
      out.append("temp ");
    }
    out.append(d.dimension() == AttributeDecl.Dimension.KEYLIST ? "keylist" : d.dataType().word());
    out.append(' ').append(d.name());
    switch (d.dimension()) {
      case VECTOR -> out.append("[]");
      case ASSOCIATION -> out.append("{}");
      case SCALAR, KEYLIST -> {
        // no suffix
      }
    }
    d.defaultValue().ifPresent(v -> value(out.append(" = "), v));
    trailing(out, d.trailing());
  }

  private static void value(StringBuilder out, Value v) {
    if (v instanceof Scalar s) {
      out.append(scalar(s));
    } else if (v instanceof ListValue l) {
      out.append(l.bracketed() ? "[" : "{");
      for (int i = 0; i < l.items().size(); i++) {
        out.append(i == 0 ? " " : ", ").append(scalar(l.items().get(i)));
      }
      out.append(l.bracketed() ? " ]" : " }");
    } else if (v instanceof AssocValue a) {
      out.append("{");
      for (int i = 0; i < a.entries().size(); i++) {
        AssocValue.Entry e = a.entries().get(i);
        out.append(i == 0 ? " " : ", ").append(scalar(e.key())).append(" = ");
        out.append(scalar(e.value()));
      }
      out.append(" }");
    }
  }

  private static void trailing(StringBuilder out, Optional<Comment> c) {
    c.ifPresent(t -> out.append(' ').append(t.text()));
    out.append('\n');
  }

  private static void comments(StringBuilder out, List<Comment> comments, String indent) {
    for (Comment c : comments) {
      out.append(indent).append(c.text()).append('\n');
    }
  }

  /** Returns a scalar as written: bare when it was bare and still reads back as one word. */
  static String scalar(Scalar s) {
    return !s.quoted() && isBareWord(s.text()) ? s.text() : quote(s.text());
  }

  static boolean isBareWord(String text) {
    if (text.isEmpty() || text.startsWith("//") || text.startsWith("/*")) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '(', ')', '{', '}', '[', ']', '=', ',', ';', '"', ' ', '\u00a0' -> {
          return false;
        }
        default -> {
          if (c < ' ' || c == 0x7f) {
            return false;
          }
          if (c == '/'
              && i > 0
              && i + 1 < text.length()
              && text.charAt(i + 1) == '/'
              && text.charAt(i - 1) != ':') {
            return false;
          }
        }
      }
    }
    return true;
  }

  static String quote(String text) {
    StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
