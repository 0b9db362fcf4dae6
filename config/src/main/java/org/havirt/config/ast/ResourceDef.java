package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/**
 * {@code Type name ( attributes )}.
 *
 * @param typePosition where the type name was written, for "unknown type" messages
 * @param closingComments comments written after the last attribute, before {@code )}
 */
public record ResourceDef(
    String type,
    String name,
    List<Attribute> attributes,
    List<Comment> closingComments,
    Position position,
    Position typePosition,
    List<Comment> comments)
    implements Statement {
  public ResourceDef {
    attributes = List.copyOf(attributes);
    closingComments = List.copyOf(closingComments);
    comments = List.copyOf(comments);
  }
}
