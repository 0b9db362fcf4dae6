package org.havirt.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.Statement;
import org.havirt.config.ast.TypeDef;
import org.havirt.types.ShippedTypes;

/**
 * The resource types a configuration can use: those its files define, then the types havirt ships
 * for any the files leave out. Every type also has the agent framework's attributes.
 */
public final class TypeCatalog {
  private final Map<String, TypeDef> types = new LinkedHashMap<>();
  private final TypeDef framework;

  private TypeCatalog(TypeDef framework) {
    this.framework = framework;
  }

  /**
   * Builds the catalog from {@code files}; a type defined twice is reported once in {@code diags}
   * and the first definition wins.
   */
  public static TypeCatalog from(List<ConfigFile> files, List<Diagnostic> diags) {
    return from(files, List.of(), diags);
  }

  /**
   * As {@link #from(List, List)}, with {@code fallbacks}: type files consulted, silently, for types
   * that {@code files} do not define (what {@code --types} gives on the command line).
   */
  public static TypeCatalog from(
      List<ConfigFile> files, List<ConfigFile> fallbacks, List<Diagnostic> diags) {
    TypeCatalog c =
        new TypeCatalog(
            shipped(ShippedTypes.FRAMEWORK_TYPES_CF, ShippedTypes.frameworkTypesCf()).get(0));
    for (ConfigFile f : files) {
      for (Statement s : f.statements()) {
        if (s instanceof TypeDef t) {
          TypeDef earlier = c.types.putIfAbsent(t.name(), t);
          if (earlier != null) {
            diags.add(
                Diagnostic.error(
                    t.position(),
                    "type '"
                        + t.name()
                        + "' is defined twice; the first definition is at "
                        + earlier.position()));
          }
        }
      }
    }
    for (ConfigFile f : fallbacks) {
      for (Statement s : f.statements()) {
        if (s instanceof TypeDef t) {
          c.types.putIfAbsent(t.name(), t);
        }
      }
    }
    for (TypeDef t : shipped(ShippedTypes.KVMGUEST_TYPES_CF, ShippedTypes.kvmGuestTypesCf())) {
      c.types.putIfAbsent(t.name(), t);
    }
    return c;
  }

  private static List<TypeDef> shipped(String name, String text) {
    ConfigParser.ParseResult r = ConfigParser.parse("havirt:" + name, text);
    if (r.hasErrors()) {
      throw new IllegalStateException(
          "shipped type file " + name + " does not parse: " + r.diagnostics());
    }
    List<TypeDef> out = new ArrayList<>();
    for (Statement s : r.file().statements()) {
      if (s instanceof TypeDef t) {
        out.add(t);
      }
    }
    return out;
  }

  public Optional<TypeDef> type(String name) {
    return Optional.ofNullable(types.get(name));
  }

  public Map<String, TypeDef> types() {
    return Collections.unmodifiableMap(types);
  }

  /** Returns the framework's attributes (MonitorInterval, OnlineTimeout, …). */
  public TypeDef framework() {
    return framework;
  }

  /**
   * Returns how {@code attribute} is declared for {@code type}: by the type, else by the framework.
   */
  public Optional<AttributeDecl> declaration(TypeDef type, String attribute) {
    Optional<AttributeDecl> d = type.declaration(attribute);
    return d.isPresent() ? d : framework.declaration(attribute);
  }
}
