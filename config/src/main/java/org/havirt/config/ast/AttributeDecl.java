package org.havirt.config.ast;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.havirt.config.Position;

/**
 * One attribute declaration in a type: {@code [static] [temp] str|int|boolean|keylist Name[] = v}.
 *
 * @param defaultValue the declared default, if any
 */
public record AttributeDecl(
    boolean isStatic,
    boolean isTemp,
    DataType dataType,
    Dimension dimension,
    String name,
    Optional<Value> defaultValue,
    Position position,
    List<Comment> comments,
    Optional<Comment> trailing) {

  /** The type of each value. {@code keylist} declares a list of strings. */
  public enum DataType {
    STR,
    I18NSTR,
    INT,
    BOOLEAN;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How many values: one, an ordered vector, an unordered keylist, or key/value pairs. */
  public enum Dimension {
    SCALAR,
    VECTOR,
    KEYLIST,
    ASSOCIATION
  }

  public AttributeDecl {
    comments = List.copyOf(comments);
  }
}
