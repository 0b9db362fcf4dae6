package org.havirt.config.ast;

import org.havirt.config.Position;

/**
 * A single value: a bare word ({@code dc2_cluster1}, {@code 30}) or a quoted string.
 *
 * @param text the value with quotes removed and escapes resolved
 * @param quoted whether it was written in double quotes (kept so printing keeps the author's form)
 */
public record Scalar(String text, boolean quoted, Position position) implements Value {
  public static Scalar bare(String text) {
    return new Scalar(text, false, Position.NONE);
  }

  @Override
  public String shape() {
    return "scalar";
  }
}
