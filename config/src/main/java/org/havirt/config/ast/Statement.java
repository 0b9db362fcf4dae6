package org.havirt.config.ast;

import java.util.List;
import org.havirt.config.Position;

/** A top-level statement of a main.cf or types.cf file, or a member of a group. */
public sealed interface Statement
    permits Include,
        ClusterDef,
        SystemDef,
        GroupDef,
        ResourceDef,
        ResourceDependency,
        GroupDependency,
        TypeDef {
  Position position();

  /** Comments written before the statement. */
  List<Comment> comments();
}
