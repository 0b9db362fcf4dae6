package org.havirt.config.ast;

import java.util.List;
import java.util.Optional;
import org.havirt.config.Position;

/** {@code parent requires child}: the parent comes online only after the child. */
public record ResourceDependency(
    String parent,
    String child,
    Position position,
    Position childPosition,
    List<Comment> comments,
    Optional<Comment> trailing)
    implements Statement {
  public ResourceDependency {
    comments = List.copyOf(comments);
  }
}
