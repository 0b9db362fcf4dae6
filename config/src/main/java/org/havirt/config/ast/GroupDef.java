package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/**
 * {@code group name ( attributes )} and its members: the resources, resource dependencies and group
 * dependencies written after it, up to the next group.
 */
public record GroupDef(
    String name,
    List<Attribute> attributes,
    List<Comment> closingComments,
    List<Statement> members,
    Position position,
    List<Comment> comments)
    implements Statement {
  public GroupDef {
    attributes = List.copyOf(attributes);
    closingComments = List.copyOf(closingComments);
    members = List.copyOf(members);
    comments = List.copyOf(comments);
  }

  /** Returns the resources of this group, in written order. */
  public List<ResourceDef> resources() {
    return members.stream()
        .filter(ResourceDef.class::isInstance)
        .map(ResourceDef.class::cast)
        .toList();
  }
}
