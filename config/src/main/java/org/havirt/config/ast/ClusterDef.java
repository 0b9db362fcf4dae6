package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/** {@code cluster name ( attributes )}. */
public record ClusterDef(
    String name,
    List<Attribute> attributes,
    List<Comment> closingComments,
    Position position,
    List<Comment> comments)
    implements Statement {
  public ClusterDef {
    attributes = List.copyOf(attributes);
    closingComments = List.copyOf(closingComments);
    comments = List.copyOf(comments);
  }
}
