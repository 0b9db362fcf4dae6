package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/**
 * A vector or keylist, {@code { a, b }} or {@code [ a, b ]}. An empty {@code { }} is a list too; it
 * is also accepted where an association is declared.
 *
 * @param bracketed whether it was written with square brackets
 */
public record ListValue(List<Scalar> items, boolean bracketed, Position position) implements Value {
  public ListValue {
    items = List.copyOf(items);
  }

  @Override
  public String shape() {
    return items.isEmpty() ? "empty list" : "list";
  }
}
