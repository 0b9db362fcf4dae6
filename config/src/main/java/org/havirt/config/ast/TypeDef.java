package org.havirt.config.ast;

import java.util.List;
import java.util.Optional;
import org.havirt.config.Position;

/** {@code type Name ( declarations )}, as in types.cf. */
public record TypeDef(
    String name,
    List<AttributeDecl> declarations,
    List<Comment> closingComments,
    Position position,
    List<Comment> comments)
    implements Statement {
  public TypeDef {
    declarations = List.copyOf(declarations);
    closingComments = List.copyOf(closingComments);
    comments = List.copyOf(comments);
  }

  /** Returns the declaration of {@code attribute}, if this type declares it. */
  public Optional<AttributeDecl> declaration(String attribute) {
    return declarations.stream().filter(d -> d.name().equals(attribute)).findFirst();
  }
}
