package org.havirt.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.havirt.config.ConfigModel.PlacedResource;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.SystemDef;
import org.havirt.config.ast.TypeDef;
import org.havirt.config.ast.Value;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/**
 * Resolves a resource's attribute values for one system: framework defaults, then the type's
 * defaults, then the resource's global values, then its {@code Attr@system} values. An association
 * replaces the default whole, as in VCS.
 */
public final class ResourceResolver {
  private final ConfigModel model;
  private final TypeCatalog catalog;

  public ResourceResolver(ConfigModel model, TypeCatalog catalog) {
    this.model = model;
    this.catalog = catalog;
  }

  /** A resource ready for a backend. */
  public record Resolved(
      PlacedResource placed, TypeDef type, GuestSpec spec, List<String> peerSystems) {}

  /** Returns the resource named {@code resource} resolved for {@code system}. */
  public Optional<Resolved> resolve(String resource, String system) {
    Optional<PlacedResource> placed = model.resource(resource);
    if (placed.isEmpty()) {
      return Optional.empty();
    }
    Optional<TypeDef> type = catalog.type(placed.get().resource().type());
    if (type.isEmpty()) {
      return Optional.empty();
    }
    Map<String, AttributeValue> values = new LinkedHashMap<>();
    defaults(catalog.framework(), values);
    defaults(type.get(), values);
    for (Attribute a : placed.get().resource().attributes()) {
      if (a.system().isEmpty()) {
        values.put(a.name(), convert(a.value()));
      }
    }
    for (Attribute a : placed.get().resource().attributes()) {
      if (a.system().isPresent() && a.system().get().equals(system)) {
        values.put(a.name(), convert(a.value()));
      }
    }
    List<String> peers = new ArrayList<>();
    List<String> peerHypervisors = new ArrayList<>();
    for (String s : groupSystems(placed.get().group())) {
      if (!s.equals(system)) {
        peers.add(s);
        peerHypervisors.add(hypervisorOf(s));
      }
    }
    GuestSpec spec = new GuestSpec(resource, values, peerHypervisors);
    return Optional.of(new Resolved(placed.get(), type.get(), spec, peers));
  }

  /**
   * Resolves values an engine sends for a resource it adds ({@code base} empty) or modifies:
   * defaults filled in, every attribute checked against the type.
   *
   * @throws IllegalArgumentException naming the unknown type or attribute, or the wrong shape
   */
  public GuestSpec specFor(
      String resource,
      String typeName,
      Optional<GuestSpec> base,
      Map<String, AttributeValue> values) {
    TypeDef type =
        catalog
            .type(typeName)
            .filter(t -> !t.name().equals(org.havirt.types.ShippedTypes.FRAMEWORK_TYPE))
            .orElseThrow(
                () -> new IllegalArgumentException("unknown resource type '" + typeName + "'"));
    for (Map.Entry<String, AttributeValue> e : values.entrySet()) {
      Optional<AttributeDecl> d = catalog.declaration(type, e.getKey());
      if (d.isEmpty()) {
        if (org.havirt.types.ShippedTypes.RESOURCE_ATTRIBUTES.contains(e.getKey())
            && e.getValue() instanceof AttributeValue.Scalar) {
          continue;
        }
        throw new IllegalArgumentException(typeName + " has no attribute '" + e.getKey() + "'");
      }
      boolean fits =
          switch (d.get().dimension()) {
            case SCALAR -> e.getValue() instanceof AttributeValue.Scalar;
            case VECTOR, KEYLIST -> e.getValue() instanceof AttributeValue.Vector;
            case ASSOCIATION ->
                e.getValue() instanceof AttributeValue.Association
                    || (e.getValue() instanceof AttributeValue.Vector v && v.items().isEmpty());
          };
      if (!fits) {
        throw new IllegalArgumentException(
            "attribute '"
                + e.getKey()
                + "' of "
                + typeName
                + " is "
                + d.get().dimension().name().toLowerCase(java.util.Locale.ROOT)
                + ": wrong shape of value");
      }
    }
    Map<String, AttributeValue> merged = new LinkedHashMap<>();
    if (base.isPresent()) {
      merged.putAll(base.get().attributes());
    } else {
      defaults(catalog.framework(), merged);
      defaults(type, merged);
    }
    merged.putAll(values);
    if (typeName.equals(org.havirt.types.ShippedTypes.KVMGUEST)
        && !(merged.get("GuestName") instanceof AttributeValue.Scalar g && !g.value().isBlank())) {
      throw new IllegalArgumentException("a KVMGuest needs GuestName");
    }
    List<String> peers = base.map(GuestSpec::peerHypervisors).orElse(List.of());
    return new GuestSpec(resource, merged, peers);
  }

  /** Returns the hypervisor host of {@code system}: its PhysicalServer attribute, else its name. */
  public String hypervisorOf(String system) {
    return systemAttribute(system, "PhysicalServer").orElse(system);
  }

  /** Returns a scalar attribute of system {@code system}, if set. */
  public Optional<String> systemAttribute(String system, String attribute) {
    for (SystemDef s : model.systems()) {
      if (s.name().equals(system)) {
        for (Attribute a : s.attributes()) {
          if (a.name().equals(attribute)
              && a.value() instanceof Scalar sc
              && !sc.text().isBlank()) {
            return Optional.of(sc.text());
          }
        }
      }
    }
    return Optional.empty();
  }

  private static List<String> groupSystems(Optional<GroupDef> group) {
    return group.map(ConfigModel::systemList).orElse(List.of());
  }

  /**
   * Returns why {@code resource} may not migrate from {@code system} to {@code target}: the target
   * is not in its group's SystemList, or the two systems' Site attributes differ (a DR site is
   * failed over to, never migrated to). Empty when the migration may go ahead.
   */
  public Optional<String> migrationRefusal(String resource, String system, String target) {
    Optional<Resolved> r = resolve(resource, system);
    if (r.isPresent() && !r.get().peerSystems().contains(target)) {
      return Optional.of(
          "system '"
              + target
              + "' is not in the SystemList of "
              + resource
              + "'s group (peers: "
              + r.get().peerSystems()
              + ")");
    }
    Optional<String> here = systemAttribute(system, "Site");
    Optional<String> there = systemAttribute(target, "Site");
    if (here.isPresent() && there.isPresent() && !here.get().equals(there.get())) {
      return Optional.of(
          "refusing to migrate across sites ("
              + system
              + " is in "
              + here.get()
              + ", "
              + target
              + " in "
              + there.get()
              + "): fail over instead");
    }
    return Optional.empty();
  }

  private static void defaults(TypeDef type, Map<String, AttributeValue> values) {
    for (AttributeDecl d : type.declarations()) {
      d.defaultValue().ifPresent(v -> values.put(d.name(), convert(v)));
    }
  }

  /** Converts a written value to the backend's form. */
  public static AttributeValue convert(Value v) {
    if (v instanceof Scalar s) {
      return new AttributeValue.Scalar(s.text());
    }
    if (v instanceof ListValue l) {
      return new AttributeValue.Vector(l.items().stream().map(Scalar::text).toList());
    }
    AssocValue a = (AssocValue) v;
    Map<String, String> m = new LinkedHashMap<>();
    a.entries().forEach(e -> m.put(e.key().text(), e.value().text()));
    return new AttributeValue.Association(m);
  }
}
