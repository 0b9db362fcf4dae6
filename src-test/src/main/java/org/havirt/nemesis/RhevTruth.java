package org.havirt.nemesis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.havirt.testing.rhevm.SimModel;

/**
 * The truth of RHEV places, read from the simulator's model in this JVM (never through an agent or
 * the REST API): a VM runs on a node when RHEV-M has it in a running state on that node's host, or
 * when it still runs on that host behind a partition (RHEV-M says unknown; the VM does run). A VM
 * that RHEV-M has as unknown on a host that is not partitioned died with it: OFF. Answers at once
 * (the model is in memory), so never {@link Copy#UNKNOWN}. Single sampling thread.
 */
final class RhevTruth implements TruthSource {
  private final SimModel model;
  private final Map<String, String> hostByNode;
  private final List<String> vms;

  RhevTruth(SimModel model, Map<String, String> hostByNode, List<String> vms) {
    this.model = model;
    this.hostByNode = Map.copyOf(hostByNode);
    this.vms = List.copyOf(vms);
  }

  @Override
  public String name() {
    return "rhevm-sim";
  }

  @Override
  public List<Fact> sample() {
    List<Fact> facts = new ArrayList<>();
    List<SimModel.VmTruth> all = model.vmTruth();
    for (var e : hostByNode.entrySet()) {
      for (String vm : vms) {
        SimModel.VmTruth t = all.stream().filter(v -> v.name().equals(vm)).findFirst().orElse(null);
        Place p = new Place(e.getKey(), vm);
        if (t == null) {
          facts.add(new Fact(p, Copy.OFF, "no such VM"));
          continue;
        }
        boolean behindPartition = t.partitionedOn().equals(e.getValue());
        boolean here = t.host().equals(e.getValue());
        facts.add(
            new Fact(
                p,
                behindPartition ? Copy.RUNNING : here ? copy(t) : Copy.OFF,
                t.status() + (t.host().isEmpty() ? "" : " on " + t.host())));
      }
    }
    return facts;
  }

  /** A VM on this node's host, by RHEV-M's status. */
  private static Copy copy(SimModel.VmTruth t) {
    return switch (t.status()) {
      case "down", "suspended", "image_locked" -> Copy.OFF;
        // On a crashed (not partitioned) host: died with it.
      case "unknown" -> t.copies() > 0 ? Copy.RUNNING : Copy.OFF;
      case "paused" -> Copy.PAUSED;
      case "migrating" -> Copy.MIGRATING;
        // up, wait_for_launch, powering_up, powering_down, reboot_in_progress, restoring_state,
        // saving_state, not_responding: a qemu holds the guest there.
      default -> Copy.RUNNING;
    };
  }

  @Override
  public void close() {
    // nothing held
  }
}
