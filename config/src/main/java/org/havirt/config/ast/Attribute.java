package org.havirt.config.ast;

import java.util.List;
import java.util.Optional;
import org.havirt.config.Position;

/**
 * One {@code Name = value} or per-system {@code Name@sys = value} line of a cluster, system, group
 * or resource.
 *
 * @param system the system a per-system value applies to; empty for a global value
 * @param comments comments written before the attribute (or inside its value)
 * @param trailing a comment on the same line, after the value
 */
public record Attribute(
    String name,
    Optional<String> system,
    Value value,
    Position position,
    List<Comment> comments,
    Optional<Comment> trailing) {
  public Attribute {
    comments = List.copyOf(comments);
  }

  /** Returns {@code Name} or {@code Name@sys}. */
  public String qualifiedName() {
    return system.map(s -> name + "@" + s).orElse(name);
  }
}
