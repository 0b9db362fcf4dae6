package org.havirt.types;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The type definitions havirt ships, as types.cf text: the canonical {@code KVMGuest} type (spec §2
 * plus our additions) and the attributes the agent framework gives every type (spec §5).
 */
public final class ShippedTypes {
  /** Resource path of the KVMGuest type definition. */
  public static final String KVMGUEST_TYPES_CF = "KVMGuestTypes.cf";

  /**
   * Resource path of the framework attributes, written as a pseudo type named {@value
   * #FRAMEWORK_TYPE}.
   */
  public static final String FRAMEWORK_TYPES_CF = "AgentFrameworkTypes.cf";

  /** The pseudo type whose attributes every type inherits; it cannot be instantiated. */
  public static final String FRAMEWORK_TYPE = "AgentFramework";

  /** The only type havirt's agent serves. */
  public static final String KVMGUEST = "KVMGuest";

  /** Attributes a KVMGuest resource must set; types.cf has no syntax for "required". */
  public static final Set<String> KVMGUEST_REQUIRED = Set.of("GuestName");

  /**
   * Attributes any resource may carry whatever its type (VCS resource attributes such as Critical
   * and Enabled), with their kind: all are scalars.
   */
  public static final Set<String> RESOURCE_ATTRIBUTES =
      Set.of(
          "Critical",
          "Enabled",
          "AutoStart",
          "ComputeStats",
          "ResourceOwner",
          "TriggerEvent",
          "TriggerPath",
          "TriggerResFault",
          "TriggerResRestart",
          "TriggerResStateChange");

  private ShippedTypes() {}

  /** Returns the text of the shipped KVMGuest types.cf. */
  public static String kvmGuestTypesCf() {
    return read(KVMGUEST_TYPES_CF);
  }

  /** Returns the text of the framework attributes file. */
  public static String frameworkTypesCf() {
    return read(FRAMEWORK_TYPES_CF);
  }

  private static String read(String name) {
    try (InputStream in = ShippedTypes.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " in havirt-types");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
