package org.havirt.types.backend;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** One resource attribute value, already resolved for this system. Immutable. */
public sealed interface AttributeValue {

  /** A scalar: str, int or boolean, kept as text. */
  record Scalar(String value) implements AttributeValue {
    public Scalar {
      Objects.requireNonNull(value, "value");
    }
  }

  /** A vector or keylist. */
  record Vector(List<String> items) implements AttributeValue {
    public Vector {
      items = List.copyOf(items);
    }
  }

  /** An association; keys keep their written order. */
  record Association(Map<String, String> entries) implements AttributeValue {
    public Association {
      entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }
  }
}
