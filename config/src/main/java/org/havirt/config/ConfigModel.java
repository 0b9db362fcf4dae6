package org.havirt.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.config.ast.ClusterDef;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.GroupDependency;
import org.havirt.config.ast.ResourceDef;
import org.havirt.config.ast.ResourceDependency;
import org.havirt.config.ast.Statement;
import org.havirt.config.ast.SystemDef;

/** The statements of a loaded configuration gathered by kind, each with the group it sits in. */
public final class ConfigModel {

  /** A resource and the group it belongs to (empty when written before any group). */
  public record PlacedResource(ResourceDef resource, Optional<GroupDef> group) {}

  /** A resource dependency and the group it was written in. */
  public record PlacedDependency(ResourceDependency dependency, Optional<GroupDef> group) {}

  /** A group dependency and the group that requires (empty when written before any group). */
  public record PlacedGroupDependency(GroupDependency dependency, Optional<GroupDef> parent) {}

  private final List<ClusterDef> clusters = new ArrayList<>();
  private final List<SystemDef> systems = new ArrayList<>();
  private final List<GroupDef> groups = new ArrayList<>();
  private final List<PlacedResource> resources = new ArrayList<>();
  private final List<PlacedDependency> dependencies = new ArrayList<>();
  private final List<PlacedGroupDependency> groupDependencies = new ArrayList<>();

  private ConfigModel() {}

  /** Gathers the statements of {@code files}, in load order. */
  public static ConfigModel of(List<ConfigFile> files) {
    ConfigModel m = new ConfigModel();
    for (ConfigFile f : files) {
      for (Statement s : f.statements()) {
        m.add(s, Optional.empty());
      }
    }
    return m;
  }

  private void add(Statement s, Optional<GroupDef> group) {
    if (s instanceof ClusterDef c) {
      clusters.add(c);
    } else if (s instanceof SystemDef sys) {
      systems.add(sys);
    } else if (s instanceof GroupDef g) {
      groups.add(g);
      for (Statement m : g.members()) {
        add(m, Optional.of(g));
      }
    } else if (s instanceof ResourceDef r) {
      resources.add(new PlacedResource(r, group));
    } else if (s instanceof ResourceDependency d) {
      dependencies.add(new PlacedDependency(d, group));
    } else if (s instanceof GroupDependency d) {
      groupDependencies.add(new PlacedGroupDependency(d, group));
    }
  }

  public List<ClusterDef> clusters() {
    return List.copyOf(clusters);
  }

  public List<SystemDef> systems() {
    return List.copyOf(systems);
  }

  public List<GroupDef> groups() {
    return List.copyOf(groups);
  }

  public List<PlacedResource> resources() {
    return List.copyOf(resources);
  }

  public List<PlacedDependency> dependencies() {
    return List.copyOf(dependencies);
  }

  public List<PlacedGroupDependency> groupDependencies() {
    return List.copyOf(groupDependencies);
  }

  /** Returns the first resource named {@code name}. */
  public Optional<PlacedResource> resource(String name) {
    return resources.stream().filter(r -> r.resource().name().equals(name)).findFirst();
  }

  /** Returns the systems of {@code group}'s SystemList, in written order (association or list). */
  public static List<String> systemList(GroupDef group) {
    List<String> out = new ArrayList<>();
    for (org.havirt.config.ast.Attribute a : group.attributes()) {
      if (!a.name().equals("SystemList") || a.system().isPresent()) {
        continue;
      }
      if (a.value() instanceof org.havirt.config.ast.AssocValue av) {
        av.entries().forEach(e -> out.add(e.key().text()));
      } else if (a.value() instanceof org.havirt.config.ast.ListValue l) {
        l.items().forEach(i -> out.add(i.text()));
      }
    }
    return out;
  }

  /** Returns the first group named {@code name}. */
  public Optional<GroupDef> group(String name) {
    return groups.stream().filter(g -> g.name().equals(name)).findFirst();
  }
}
