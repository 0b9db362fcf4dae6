package org.havirt.testing.rhevm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The RHEV half of a nemesis observer: it reads the simulator's model directly (never an agent, a
 * client or the REST API) and checks, at every {@link #sample}, the invariants that only RHEV-M can
 * witness:
 *
 * <ol>
 *   <li><b>one copy</b>: no VM runs twice ({@link SimModel#copies}, which counts a copy left on a
 *       partitioned host behind a manual fence the engine believed);
 *   <li><b>own host only</b>: every {@code shutdown}, {@code stop} or {@code migrate} a node's API
 *       user sent was of a VM that RHEV-M had, at that moment, on that node's own host or on none
 *       (down: it died between the node's look and its request, and nothing is touched);
 *   <li><b>asked for</b>: every such action is one the campaign's engine asked of that node ({@code
 *       asked}, given by the engine driver's command log); a stop nobody asked for is a violation
 *       even on the node's own host.
 * </ol>
 *
 * Nodes are told apart by API user ({@link RhevmSimulator#addUser}), one per node. {@link #runsOn}
 * is the truth the cross-backend invariants (no OFFLINE while it runs there, no ONLINE while it
 * does not) compare the agents' states with. Not thread-safe: one observer thread samples.
 */
public final class RhevObserver {
  /** One violated invariant, as a sentence naming the VM, the node and the moment. */
  public record Violation(long atMillis, String invariant, String what) {}

  /**
   * Whether the engine driver had asked {@code node} to act on {@code vm} with {@code action}
   * ({@code offline} covers shutdown, {@code clean} covers stop) around {@code atMillis}.
   */
  @FunctionalInterface
  public interface Asked {
    boolean asked(String node, String vm, String action, long atMillis);
  }

  private final SimModel model;
  private final Map<String, String> nodeByUser;
  private final Map<String, String> hostByNode;
  private final Asked asked;
  private final List<Violation> violations = new ArrayList<>();
  private long lastAction;

  /**
   * @param nodeByUser each node's API user → node name
   * @param hostByNode node name → its RHEV host's name (the node's PhysicalServer)
   * @param asked the engine driver's record of what it asked
   */
  public RhevObserver(
      SimModel model, Map<String, String> nodeByUser, Map<String, String> hostByNode, Asked asked) {
    this.model = model;
    this.nodeByUser = Map.copyOf(nodeByUser);
    this.hostByNode = Map.copyOf(hostByNode);
    this.asked = asked;
  }

  /** Checks every invariant now; returns the violations found by this sample. */
  public List<Violation> sample() {
    long now = System.currentTimeMillis();
    List<Violation> found = new ArrayList<>();
    for (SimModel.VmTruth v : model.vmTruth()) {
      if (v.copies() > 1) {
        found.add(
            new Violation(
                now,
                "one copy",
                "VM "
                    + v.name()
                    + " runs "
                    + v.copies()
                    + " times (RHEV-M has it "
                    + v.status()
                    + " on "
                    + v.host()
                    + ")"));
      }
    }
    for (SimModel.Action a : model.actions(lastAction)) {
      lastAction = a.seq();
      check(a).ifPresent(found::add);
    }
    violations.addAll(found);
    return found;
  }

  private java.util.Optional<Violation> check(SimModel.Action a) {
    String node = nodeByUser.get(a.user());
    String mapped =
        switch (a.action()) {
            // Stops and migrations are what can hurt a VM: checked below.
          case "shutdown" -> "offline";
          case "stop" -> "clean";
          case "migrate" -> "migrate";
            // A start the engine refuses when the VM is not down: it cannot make a second copy.
          case "start" -> null;
            // A manual fence is the administrator's promise (UseManualRHEVMFencing); "one copy"
            // catches a false one.
          case "fence_manual" -> null;
          default -> "unknown action " + a.action();
        };
    if (mapped == null) {
      return java.util.Optional.empty();
    }
    if (node == null) {
      return java.util.Optional.of(
          new Violation(
              a.atMillis(),
              "own host only",
              "user " + a.user() + ", no node's, sent " + a.action() + " of VM " + a.vm()));
    }
    String mine = hostByNode.get(node);
    if (a.vmHost().isEmpty()) {
      // Down when it arrived (it died between the node's look and its request): nothing was
      // touched, and RHEV-M refuses or has nothing to do.
      return java.util.Optional.empty();
    }
    if (!a.vmHost().equals(mine)) {
      return java.util.Optional.of(
          new Violation(
              a.atMillis(),
              "own host only",
              "node "
                  + node
                  + " (host "
                  + mine
                  + ") sent "
                  + a.action()
                  + " of VM "
                  + a.vm()
                  + ", which RHEV-M had "
                  + a.vmStatus()
                  + " on host "
                  + a.vmHost()));
    }
    if (!asked.asked(node, a.vm(), mapped, a.atMillis())) {
      return java.util.Optional.of(
          new Violation(
              a.atMillis(),
              "asked for",
              "node "
                  + node
                  + " sent "
                  + a.action()
                  + " of VM "
                  + a.vm()
                  + "; no "
                  + mapped
                  + " of it was asked"));
    }
    return java.util.Optional.empty();
  }

  /**
   * Whether {@code vm} runs on {@code node}'s host now, as RHEV-M's model has it, counting an
   * unknown VM on a partitioned host (it does run there) and not one on a crashed host.
   */
  public boolean runsOn(String vm, String node) {
    String host = hostByNode.get(node);
    Predicate<SimModel.VmTruth> here =
        v -> v.name().equals(vm) && v.copies() > 0 && v.host().equals(host);
    return model.vmTruth().stream().anyMatch(here);
  }

  /** Every violation found so far, oldest first. */
  public List<Violation> violations() {
    return List.copyOf(violations);
  }
}
