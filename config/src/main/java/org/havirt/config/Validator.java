package org.havirt.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.havirt.config.ConfigModel.PlacedResource;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.ResourceDef;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.Statement;
import org.havirt.config.ast.SystemDef;
import org.havirt.config.ast.TypeDef;
import org.havirt.types.ShippedTypes;

/**
 * Checks a loaded configuration against the types it can use (its own definitions, then the shipped
 * ones): unknown types and attributes, wrong value shapes, unknown association keys, missing
 * required attributes, duplicate names, dangling or cyclic dependencies. Reports every problem, not
 * only the first. Pure and thread-safe.
 */
public final class Validator {
  private final List<Diagnostic> diags = new ArrayList<>();
  private final AttributeChecker checker = new AttributeChecker(diags);

  private Validator() {}

  /** Returns every problem found in {@code files}, in file order. */
  public static List<Diagnostic> validate(List<ConfigFile> files) {
    return validate(files, List.of());
  }

  /**
   * Returns every problem found in {@code files}; {@code typeFallbacks} supply types the files do
   * not define themselves.
   */
  public static List<Diagnostic> validate(List<ConfigFile> files, List<ConfigFile> typeFallbacks) {
    Validator v = new Validator();
    TypeCatalog catalog = TypeCatalog.from(files, typeFallbacks, v.diags);
    for (ConfigFile f : files) {
      for (Statement s : f.statements()) {
        if (s instanceof TypeDef t) {
          v.typeDefinition(t, catalog);
        }
      }
    }
    ConfigModel model = ConfigModel.of(files);
    v.topology(model);
    for (PlacedResource r : model.resources()) {
      v.resource(r, catalog);
    }
    new DependencyChecker(model, v.diags).check();
    new HypervisorHostChecker(v.diags).check(model);
    v.diags.sort(Diagnostic.BY_POSITION);
    return List.copyOf(v.diags);
  }

  private void typeDefinition(TypeDef t, TypeCatalog catalog) {
    Set<String> names = new HashSet<>();
    for (AttributeDecl d : t.declarations()) {
      if (!names.add(d.name())) {
        diags.add(
            Diagnostic.error(
                d.position(), "type '" + t.name() + "' declares '" + d.name() + "' twice"));
        continue;
      }
      Optional<AttributeDecl> fw = catalog.framework().declaration(d.name());
      if (fw.isPresent()
          && !t.name().equals(ShippedTypes.FRAMEWORK_TYPE)
          && (fw.get().dimension() != d.dimension() || fw.get().dataType() != d.dataType())) {
        diags.add(
            Diagnostic.error(
                d.position(),
                "'"
                    + d.name()
                    + "' is an agent framework attribute declared as "
                    + describe(fw.get())
                    + "; type '"
                    + t.name()
                    + "' declares it as "
                    + describe(d)));
      }
      d.defaultValue().ifPresent(v -> checker.check("type " + t.name(), d.name(), d, v));
    }
  }

  private static String describe(AttributeDecl d) {
    return (d.dimension() == AttributeDecl.Dimension.KEYLIST ? "keylist" : d.dataType().word())
        + switch (d.dimension()) {
          case VECTOR -> "[]";
          case ASSOCIATION -> "{}";
          case SCALAR, KEYLIST -> "";
        };
  }

  private void topology(ConfigModel model) {
    if (model.clusters().size() > 1) {
      diags.add(
          Diagnostic.error(
              model.clusters().get(1).position(),
              "only one cluster may be defined; the first is at "
                  + model.clusters().get(0).position()));
    }
    model
        .clusters()
        .forEach(c -> block("cluster '" + c.name() + "'", c.attributes(), Optional.empty()));
    Map<String, Position> systems = new HashMap<>();
    for (SystemDef s : model.systems()) {
      Position earlier = systems.putIfAbsent(s.name(), s.position());
      if (earlier != null) {
        diags.add(
            Diagnostic.error(
                s.position(), "system '" + s.name() + "' is defined twice; first at " + earlier));
      }
      block("system '" + s.name() + "'", s.attributes(), Optional.empty());
    }
    Map<String, Position> groups = new HashMap<>();
    for (GroupDef g : model.groups()) {
      Position earlier = groups.putIfAbsent(g.name(), g.position());
      if (earlier != null) {
        diags.add(
            Diagnostic.error(
                g.position(), "group '" + g.name() + "' is defined twice; first at " + earlier));
      }
      block("group '" + g.name() + "'", g.attributes(), Optional.of(g));
      groupAttributes(g, systems.keySet());
    }
    Map<String, Position> resources = new HashMap<>();
    for (PlacedResource r : model.resources()) {
      ResourceDef def = r.resource();
      Position earlier = resources.putIfAbsent(def.name(), def.position());
      if (earlier != null) {
        diags.add(
            Diagnostic.error(
                def.position(),
                "resource '"
                    + def.name()
                    + "' is defined twice; resource names are "
                    + "unique in a cluster; first at "
                    + earlier));
      }
      if (r.group().isEmpty()) {
        diags.add(
            Diagnostic.warning(
                def.position(),
                "resource '"
                    + def.name()
                    + "' is not in a group: "
                    + "write it after the 'group' it belongs to"));
      }
    }
  }

  private void groupAttributes(GroupDef g, Set<String> declaredSystems) {
    for (Attribute a : g.attributes()) {
      String what = "attribute '" + a.qualifiedName() + "' of group '" + g.name() + "'";
      switch (a.name()) {
        case "SystemList" -> {
          if (a.value() instanceof AssocValue av) {
            for (AssocValue.Entry e : av.entries()) {
              checker.element(
                  what + " key '" + e.key().text() + "'", AttributeDecl.DataType.INT, e.value());
              if (!declaredSystems.isEmpty() && !declaredSystems.contains(e.key().text())) {
                diags.add(
                    Diagnostic.warning(
                        e.key().position(),
                        "group '"
                            + g.name()
                            + "' lists system '"
                            + e.key().text()
                            + "', which no 'system' statement defines"));
              }
            }
          } else if (a.value() instanceof ListValue l && !l.items().isEmpty()) {
            // VCS accepts a plain list; priorities follow the order.
          } else if (a.value() instanceof Scalar) {
            diags.add(
                Diagnostic.error(
                    a.value().position(),
                    what + " is an association: write SystemList = { sysA = 0, sysB = 1 }"));
          }
        }
        case "AutoStartList" -> {
          if (!(a.value() instanceof ListValue)) {
            diags.add(
                Diagnostic.error(
                    a.value().position(), what + " is a keylist: write AutoStartList = { sysA }"));
          }
        }
        default -> {
          // Groups carry dozens of engine attributes; havirt reads only the two above.
        }
      }
    }
  }

  /** Checks what every attribute block shares: no attribute twice, no global and per-system mix. */
  private void block(String owner, List<Attribute> attrs, Optional<GroupDef> group) {
    Map<String, Attribute> seen = new HashMap<>();
    Map<String, Boolean> global = new HashMap<>();
    for (Attribute a : attrs) {
      Attribute earlier = seen.putIfAbsent(a.qualifiedName(), a);
      if (earlier != null) {
        diags.add(
            Diagnostic.error(
                a.position(),
                owner + " sets '" + a.qualifiedName() + "' twice; first at " + earlier.position()));
        continue;
      }
      Boolean wasGlobal = global.putIfAbsent(a.name(), a.system().isEmpty());
      if (wasGlobal != null && wasGlobal != a.system().isEmpty()) {
        diags.add(
            Diagnostic.error(
                a.position(),
                owner
                    + " gives '"
                    + a.name()
                    + "' both a global value and per-system values: use one or the other"));
      }
    }
  }

  private void resource(PlacedResource placed, TypeCatalog catalog) {
    ResourceDef r = placed.resource();
    String owner = "resource '" + r.name() + "'";
    block(owner, r.attributes(), placed.group());
    if (r.type().equals(ShippedTypes.FRAMEWORK_TYPE)) {
      diags.add(
          Diagnostic.error(
              r.typePosition(),
              r.type() + " lists the framework's attributes; it is not a resource type"));
      return;
    }
    Optional<TypeDef> type = catalog.type(r.type());
    if (type.isEmpty()) {
      String hint =
          Suggest.closest(r.type(), catalog.types().keySet())
              .map(n -> " (did you mean '" + n + "'?)")
              .orElse("");
      diags.add(
          Diagnostic.error(
              r.typePosition(),
              "unknown resource type '"
                  + r.type()
                  + "'"
                  + hint
                  + ": include the types.cf that defines it"));
      return;
    }
    Set<String> systems = systemsOf(placed.group());
    for (Attribute a : r.attributes()) {
      attribute(owner + " (" + r.type() + ")", type.get(), a, catalog, systems, placed.group());
    }
    if (r.type().equals(ShippedTypes.KVMGUEST)) {
      for (String required : ShippedTypes.KVMGUEST_REQUIRED) {
        boolean set =
            r.attributes().stream()
                .anyMatch(
                    a ->
                        a.name().equals(required)
                            && !(a.value() instanceof Scalar s && s.text().isBlank()));
        if (!set) {
          diags.add(
              Diagnostic.error(
                  r.position(),
                  owner
                      + " has no "
                      + required
                      + ": set it to the VM's name in libvirt or RHEV-M"));
        }
      }
    }
  }

  private void attribute(
      String owner,
      TypeDef type,
      Attribute a,
      TypeCatalog catalog,
      Set<String> systems,
      Optional<GroupDef> group) {
    Optional<AttributeDecl> decl = catalog.declaration(type, a.name());
    if (decl.isEmpty()) {
      if (ShippedTypes.RESOURCE_ATTRIBUTES.contains(a.name())) {
        if (!(a.value() instanceof Scalar)) {
          diags.add(
              Diagnostic.error(
                  a.value().position(),
                  "attribute '" + a.name() + "' of " + owner + " takes a single value"));
        }
        return;
      }
      Set<String> known = new HashSet<>();
      type.declarations().forEach(d -> known.add(d.name()));
      catalog.framework().declarations().forEach(d -> known.add(d.name()));
      known.addAll(ShippedTypes.RESOURCE_ATTRIBUTES);
      String hint =
          Suggest.closest(a.name(), known).map(n -> " (did you mean '" + n + "'?)").orElse("");
      diags.add(
          Diagnostic.error(a.position(), owner + " has no attribute '" + a.name() + "'" + hint));
      return;
    }
    if (a.system().isPresent() && !systems.isEmpty() && !systems.contains(a.system().get())) {
      diags.add(
          Diagnostic.warning(
              a.position(),
              "'"
                  + a.qualifiedName()
                  + "' names system '"
                  + a.system().get()
                  + "', which is not in the SystemList of group '"
                  + group.map(GroupDef::name).orElse("")
                  + "'"));
    }
    checker.check(owner, a.qualifiedName(), decl.get(), a.value());
  }

  private static Set<String> systemsOf(Optional<GroupDef> group) {
    return new HashSet<>(group.map(ConfigModel::systemList).orElse(List.of()));
  }
}
