package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/** {@code include "file"}; the path is relative to the including file. */
public record Include(String path, Position position, List<Comment> comments) implements Statement {
  public Include {
    comments = List.copyOf(comments);
  }
}
