package org.havirt.config.ast;

import java.util.List;

/**
 * One parsed main.cf or types.cf file, statements in written order. Resources and dependencies
 * written before the first group are top-level statements; after a group they are its members.
 *
 * @param name the file name used in positions
 * @param trailingComments comments after the last statement
 */
public record ConfigFile(String name, List<Statement> statements, List<Comment> trailingComments) {
  public ConfigFile {
    statements = List.copyOf(statements);
    trailingComments = List.copyOf(trailingComments);
  }
}
