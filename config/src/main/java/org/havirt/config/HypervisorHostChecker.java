package org.havirt.config;

import java.util.List;
import java.util.Optional;
import org.havirt.config.ConfigModel.PlacedResource;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.SystemDef;
import org.havirt.types.HostNames;
import org.havirt.types.ShippedTypes;

/**
 * Checks the hypervisor host of every system that may run a libvirt guest (its {@code
 * PhysicalServer}, else its name): it goes into the libvirt URI template ({@code
 * qemu+ssh://%h/system}), so only a host name or IP literal is accepted; {@code x/?command=/path}
 * or {@code -oProxyCommand=…} would change the URI. RHEV-M guests are left out: there the value
 * names a RHEV-M host, which is never put into a URI. Not thread-safe; one per validation.
 */
final class HypervisorHostChecker {
  private final List<Diagnostic> diags;

  HypervisorHostChecker(List<Diagnostic> diags) {
    this.diags = diags;
  }

  void check(ConfigModel model) {
    for (GroupDef g : model.groups()) {
      if (!holdsLibvirtGuest(model, g)) {
        continue;
      }
      for (String system : ConfigModel.systemList(g)) {
        hypervisor(model, system, g);
      }
    }
  }

  private void hypervisor(ConfigModel model, String system, GroupDef group) {
    Optional<SystemDef> def =
        model.systems().stream().filter(s -> s.name().equals(system)).findFirst();
    Optional<Attribute> physical =
        def.flatMap(
            d ->
                d.attributes().stream()
                    .filter(
                        a ->
                            a.name().equals("PhysicalServer")
                                && a.value() instanceof Scalar sc
                                && !sc.text().isBlank())
                    .findFirst());
    String host = physical.map(a -> ((Scalar) a.value()).text()).orElse(system);
    Optional<String> problem = HostNames.problem(host);
    if (problem.isEmpty()) {
      return;
    }
    Position at =
        physical
            .map(Attribute::position)
            .orElse(def.map(SystemDef::position).orElse(group.position()));
    String what =
        physical.isPresent()
            ? "PhysicalServer of system '" + system + "'"
            : "system '" + system + "' (it has no PhysicalServer)";
    diags.add(
        Diagnostic.error(
            at,
            what
                + ": "
                + HostNames.describe(host, problem.get())
                + "; it is the host in the libvirt URI of group '"
                + group.name()
                + "'s guests: set PhysicalServer to the hypervisor's host name or address"));
  }

  /** Whether {@code g} holds a KVMGuest that libvirt runs (RHEVMInfo not Enabled = 1). */
  private static boolean holdsLibvirtGuest(ConfigModel model, GroupDef g) {
    for (PlacedResource r : model.resources()) {
      if (r.group().isPresent()
          && r.group().get().name().equals(g.name())
          && r.resource().type().equals(ShippedTypes.KVMGUEST)
          && !rhevEnabled(r)) {
        return true;
      }
    }
    return false;
  }

  private static boolean rhevEnabled(PlacedResource r) {
    for (Attribute a : r.resource().attributes()) {
      if (a.name().equals("RHEVMInfo") && a.value() instanceof AssocValue av) {
        for (AssocValue.Entry e : av.entries()) {
          if (e.key().text().equals("Enabled") && e.value().text().strip().equals("1")) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
