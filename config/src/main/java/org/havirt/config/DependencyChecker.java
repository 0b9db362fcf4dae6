package org.havirt.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.havirt.config.ConfigModel.PlacedDependency;
import org.havirt.config.ConfigModel.PlacedGroupDependency;
import org.havirt.config.ConfigModel.PlacedResource;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.GroupDependency;
import org.havirt.config.ast.ResourceDependency;

/** Checks resource and group dependencies: targets exist, rules of VCS hold, no cycles. */
final class DependencyChecker {
  private final ConfigModel model;
  private final List<Diagnostic> diags;

  DependencyChecker(ConfigModel model, List<Diagnostic> diags) {
    this.model = model;
    this.diags = diags;
  }

  void check() {
    resourceDependencies();
    groupDependencies();
  }

  private void resourceDependencies() {
    Map<String, PlacedResource> byName = new HashMap<>();
    model.resources().forEach(r -> byName.putIfAbsent(r.resource().name(), r));
    Map<String, List<ResourceDependency>> edges = new LinkedHashMap<>();
    Set<String> seenPairs = new HashSet<>();
    for (PlacedDependency pd : model.dependencies()) {
      ResourceDependency d = pd.dependency();
      PlacedResource parent = byName.get(d.parent());
      PlacedResource child = byName.get(d.child());
      if (parent == null) {
        missing(d.position(), "resource", d.parent(), byName.keySet());
      }
      if (child == null) {
        missing(d.childPosition(), "resource", d.child(), byName.keySet());
      }
      if (parent == null || child == null) {
        continue;
      }
      if (d.parent().equals(d.child())) {
        diags.add(
            Diagnostic.error(d.position(), "resource '" + d.parent() + "' cannot require itself"));
        continue;
      }
      String pg = parent.group().map(GroupDef::name).orElse("(no group)");
      String cg = child.group().map(GroupDef::name).orElse("(no group)");
      if (!pg.equals(cg)) {
        diags.add(
            Diagnostic.error(
                d.position(),
                "'"
                    + d.parent()
                    + "' (group "
                    + pg
                    + ") cannot require '"
                    + d.child()
                    + "' (group "
                    + cg
                    + "): resource dependencies stay inside one group; "
                    + "link the groups with 'requires group' instead"));
        continue;
      }
      if (!seenPairs.add(d.parent() + "\u0000" + d.child())) {
        diags.add(
            Diagnostic.warning(
                d.position(), "'" + d.parent() + " requires " + d.child() + "' is written twice"));
        continue;
      }
      edges.computeIfAbsent(d.parent(), k -> new ArrayList<>()).add(d);
    }
    cycles(edges, ResourceDependency::child, ResourceDependency::position, "resource");
  }

  private void groupDependencies() {
    Set<String> groupNames = new HashSet<>();
    model.groups().forEach(g -> groupNames.add(g.name()));
    Map<String, List<GroupDependency>> edges = new LinkedHashMap<>();
    Map<GroupDependency, String> parentOf = new HashMap<>();
    for (PlacedGroupDependency pgd : model.groupDependencies()) {
      GroupDependency d = pgd.dependency();
      Optional<String> parent = pgd.parent().map(GroupDef::name);
      if (parent.isEmpty()) {
        continue; // the parser already said a group dependency must follow its group
      }
      if (d.explicitParent().isPresent() && !d.explicitParent().get().equals(parent.get())) {
        diags.add(
            Diagnostic.error(
                d.position(),
                "'"
                    + d.explicitParent().get()
                    + " requires group …' is written under group '"
                    + parent.get()
                    + "': write it under the group that requires, or leave the name out"));
        continue;
      }
      if (!groupNames.contains(d.group())) {
        missing(d.groupPosition(), "group", d.group(), groupNames);
        continue;
      }
      if (d.group().equals(parent.get())) {
        diags.add(
            Diagnostic.error(d.groupPosition(), "group '" + d.group() + "' cannot require itself"));
        continue;
      }
      if (d.category() == GroupDependency.Category.OFFLINE
          && d.location() != GroupDependency.Location.LOCAL) {
        diags.add(
            Diagnostic.error(
                d.position(),
                "an offline group dependency is always local: write 'requires group "
                    + d.group()
                    + " offline local "
                    + d.rigidity().word()
                    + "'"));
      }
      if (d.rigidity() == GroupDependency.Rigidity.HARD
          && (d.category() != GroupDependency.Category.ONLINE
              || d.location() != GroupDependency.Location.LOCAL)) {
        diags.add(Diagnostic.error(d.position(), "a hard group dependency must be online local"));
      }
      parentOf.put(d, parent.get());
      edges.computeIfAbsent(parent.get(), k -> new ArrayList<>()).add(d);
    }
    cycles(edges, GroupDependency::group, GroupDependency::position, "group");
  }

  private void missing(Position at, String kind, String name, Set<String> known) {
    String hint = Suggest.closest(name, known).map(n -> " (did you mean '" + n + "'?)").orElse("");
    diags.add(Diagnostic.error(at, "there is no " + kind + " named '" + name + "'" + hint));
  }

  /**
   * Reports each cycle once, at the edge that closes it. Iterative: deep chains cannot overflow.
   */
  private <E> void cycles(
      Map<String, List<E>> edges,
      java.util.function.Function<E, String> target,
      java.util.function.Function<E, Position> where,
      String kind) {
    Map<String, Integer> state = new HashMap<>(); // 1 = on the current path, 2 = done
    for (String start : edges.keySet()) {
      if (state.containsKey(start)) {
        continue;
      }
      List<String> path = new ArrayList<>();
      List<Integer> nextEdge = new ArrayList<>();
      path.add(start);
      nextEdge.add(0);
      state.put(start, 1);
      while (!path.isEmpty()) {
        int top = path.size() - 1;
        String node = path.get(top);
        List<E> out = edges.getOrDefault(node, List.of());
        int i = nextEdge.get(top);
        if (i >= out.size()) {
          state.put(node, 2);
          path.remove(top);
          nextEdge.remove(top);
          continue;
        }
        nextEdge.set(top, i + 1);
        E e = out.get(i);
        String t = target.apply(e);
        Integer s = state.get(t);
        if (s == null) {
          state.put(t, 1);
          path.add(t);
          nextEdge.add(0);
        } else if (s == 1) {
          List<String> cycle = new ArrayList<>(path.subList(path.indexOf(t), path.size()));
          cycle.add(t);
          diags.add(
              Diagnostic.error(
                  where.apply(e), kind + " dependency cycle: " + String.join(" requires ", cycle)));
        }
      }
    }
  }
}
