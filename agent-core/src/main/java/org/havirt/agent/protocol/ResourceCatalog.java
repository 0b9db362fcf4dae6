package org.havirt.agent.protocol;

import java.util.Map;
import java.util.Optional;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/**
 * Turns attribute values an engine sends into a resolved {@link GuestSpec} (defaults filled in,
 * unknown attributes refused). Implemented over the configuration's types.
 */
public interface ResourceCatalog {
  /** Returns the resource types this agent serves. */
  java.util.List<String> types();

  /**
   * Resolves {@code values} for a new resource of {@code type}, or for {@code base} modified.
   *
   * @throws IllegalArgumentException with a plain message naming the bad type or attribute
   */
  GuestSpec resolve(
      String resource, String type, Optional<GuestSpec> base, Map<String, AttributeValue> values);
}
