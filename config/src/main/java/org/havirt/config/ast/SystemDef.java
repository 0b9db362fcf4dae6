package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/** {@code system name ( attributes )}. */
public record SystemDef(
    String name,
    List<Attribute> attributes,
    List<Comment> closingComments,
    Position position,
    List<Comment> comments)
    implements Statement {
  public SystemDef {
    attributes = List.copyOf(attributes);
    closingComments = List.copyOf(closingComments);
    comments = List.copyOf(comments);
  }
}
