package org.havirt.config.ast;

import java.util.List;
import java.util.Optional;
import org.havirt.config.Position;

/** An association, {@code { Key = value, Key2 = value2 }}; commas between pairs are optional. */
public record AssocValue(List<Entry> entries, Position position) implements Value {

  /** One {@code key = value} pair. */
  public record Entry(Scalar key, Scalar value) {}

  public AssocValue {
    entries = List.copyOf(entries);
  }

  /** Returns the value of {@code key} (the last one written, if repeated). */
  public Optional<Scalar> get(String key) {
    Scalar found = null;
    for (Entry e : entries) {
      if (e.key().text().equals(key)) {
        found = e.value();
      }
    }
    return Optional.ofNullable(found);
  }

  @Override
  public String shape() {
    return "association";
  }
}
