package org.havirt.config.ast;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.havirt.config.Position;

/**
 * {@code requires group child online|offline local|global|remote firm|soft|hard}, written inside
 * the parent group, optionally as {@code parent requires group child …}.
 *
 * @param explicitParent the parent group when written in the second form
 */
public record GroupDependency(
    Optional<String> explicitParent,
    String group,
    Category category,
    Location location,
    Rigidity rigidity,
    Position position,
    Position groupPosition,
    List<Comment> comments,
    Optional<Comment> trailing)
    implements Statement {

  /** Whether the parent needs the child online or offline. */
  public enum Category {
    ONLINE,
    OFFLINE;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Where the child must be relative to the parent. */
  public enum Location {
    LOCAL,
    GLOBAL,
    REMOTE;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How strongly a fault of the child affects the parent. */
  public enum Rigidity {
    SOFT,
    FIRM,
    HARD;

    public String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public GroupDependency {
    comments = List.copyOf(comments);
  }
}
