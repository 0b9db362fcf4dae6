package org.havirt.config.ast;

import org.havirt.config.Position;

/**
 * A comment as written, markers included ({@code // text} or a whole block comment).
 *
 * @param text the comment's text, including its markers
 */
public record Comment(String text, Position position) {}
