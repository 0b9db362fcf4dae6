package org.havirt.types.backend;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything a backend needs to act on one resource's VM: the resource name and its attribute
 * values, resolved for this system (per-system {@code Attr@sys} values applied, type defaults
 * filled in). Immutable and thread-safe.
 *
 * <p>Association keys are matched by name, never by position.
 */
public record GuestSpec(
    String resource, Map<String, AttributeValue> attributes, List<String> peerHypervisors) {

  /**
   * @param peerHypervisors the hypervisor hosts of the other systems that may run this guest (their
   *     PhysicalServer, else their name): where the split-brain guard looks before a start
   */
  public GuestSpec {
    Objects.requireNonNull(resource, "resource");
    attributes = Map.copyOf(attributes);
    peerHypervisors = List.copyOf(peerHypervisors);
  }

  /** A spec without peers. */
  public GuestSpec(String resource, Map<String, AttributeValue> attributes) {
    this(resource, attributes, List.of());
  }

  /** Returns the VM's name in the backend (GuestName). */
  public String guestName() {
    return string("GuestName").orElse("");
  }

  /** Returns a scalar attribute; empty when unset or not a scalar. */
  public Optional<String> string(String name) {
    return attributes.get(name) instanceof AttributeValue.Scalar s
        ? Optional.of(s.value())
        : Optional.empty();
  }

  /** Returns a scalar that is set and not the VCS placeholder {@code NONE}. */
  public Optional<String> meaningful(String name) {
    return string(name).filter(GuestSpec::isMeaningful);
  }

  /** Returns an int attribute, or empty when unset or not a number. */
  public OptionalLong integer(String name) {
    Optional<String> v = string(name);
    if (v.isEmpty()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(v.get().trim()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** Returns a boolean attribute (1/0, true/false), or {@code defaultValue} when unset. */
  public boolean bool(String name, boolean defaultValue) {
    return string(name)
        .map(v -> v.trim().equals("1") || v.trim().equalsIgnoreCase("true"))
        .orElse(defaultValue);
  }

  /** Returns an association attribute, empty when unset. */
  public Map<String, String> association(String name) {
    return attributes.get(name) instanceof AttributeValue.Association a ? a.entries() : Map.of();
  }

  /** Returns one key of an association, empty when absent or {@code NONE}. */
  public Optional<String> associationKey(String attribute, String key) {
    return Optional.ofNullable(association(attribute).get(key)).filter(GuestSpec::isMeaningful);
  }

  private static boolean isMeaningful(String v) {
    return !v.isBlank() && !v.equals("NONE");
  }
}
