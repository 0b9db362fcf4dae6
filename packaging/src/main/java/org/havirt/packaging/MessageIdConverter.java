package org.havirt.packaging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Prints a message id derived from the constant message template ({@code H-1-04217}), so the same
 * kind of event always has the same id in the engine log, as VCS's UMIs do, while the text after it
 * carries the key=value details.
 */
public final class MessageIdConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String template = event.getMessage() == null ? "" : event.getMessage();
    int severity = event.getLevel().toInt() >= ch.qos.logback.classic.Level.WARN_INT ? 2 : 1;
    return String.format("H-%d-%05d", severity, Math.floorMod(template.hashCode(), 100_000));
  }
}
