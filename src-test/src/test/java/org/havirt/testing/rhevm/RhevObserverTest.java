package org.havirt.testing.rhevm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RHEV observer sees each violation it exists for, and nothing in a healthy history. */
class RhevObserverTest {
  SimModel model;
  SimModel.Host h1;
  SimModel.Host h2;
  SimModel.Vm vm;
  boolean asked = true;
  RhevObserver observer;

  @BeforeEach
  void setUp() {
    model = new SimModel();
    model.stepMillis = 0; // transitions at once: the test reads states, not timing
    model.addCluster("prod");
    h1 = model.addHost("h1", "prod");
    h2 = model.addHost("h2", "prod");
    vm = model.addVm("vm", "prod");
    observer =
        new RhevObserver(
            model,
            Map.of("u1", "n1", "u2", "n2"),
            Map.of("n1", "h1", "n2", "h2"),
            (node, v, action, at) -> asked);
  }

  @Test
  void aHealthyHistoryHasNoViolation() {
    assertThat(model.start(vm, h1)).isEmpty();
    model.audit("u1", "vm", "start", "down", "", "h1", Optional.empty());
    model.audit("u1", "vm", "shutdown", "up", "h1", "", Optional.empty());
    model.audit("u2", "vm", "stop", "down", "", "", Optional.of("Cannot stop VM. VM vm is down."));
    assertThat(observer.sample()).isEmpty();
    assertThat(observer.runsOn("vm", "n1")).isTrue();
    assertThat(observer.runsOn("vm", "n2")).isFalse();
  }

  @Test
  void aStopOfAVmOnAnotherNodesHostIsAViolation() {
    model.audit("u1", "vm", "stop", "up", "h2", "", Optional.empty());
    assertThat(observer.sample())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.invariant()).isEqualTo("own host only");
              assertThat(v.what())
                  .contains("node n1 (host h1) sent stop of VM vm", "up on host h2");
            });
    assertThat(observer.sample()).as("each action is judged once").isEmpty();
  }

  @Test
  void aStopNobodyAskedForIsAViolationEvenOnTheOwnHost() {
    asked = false;
    model.audit("u1", "vm", "shutdown", "up", "h1", "", Optional.empty());
    assertThat(observer.sample())
        .singleElement()
        .satisfies(v -> assertThat(v.invariant()).isEqualTo("asked for"));
  }

  @Test
  void aFalseManualFenceThenAStartElsewhereIsTwoCopies() {
    assertThat(model.start(vm, h1)).isEmpty();
    model.partitionHost(h1);
    assertThat(observer.runsOn("vm", "n1")).as("it still runs behind the partition").isTrue();
    assertThat(model.confirmManualFence(h1)).isEmpty();
    assertThat(model.start(vm, h2)).isEmpty();
    assertThat(observer.sample())
        .singleElement()
        .satisfies(v -> assertThat(v.what()).contains("VM vm runs 2 times"));
    model.healHost(h1);
    assertThat(observer.sample()).as("the engine powered the stray copy off").isEmpty();
  }

  @Test
  void aPartitionHealsBackToUpAndAPowerFenceLeavesTheVmDown() {
    assertThat(model.start(vm, h1)).isEmpty();
    model.partitionHost(h1);
    assertThat(model.vmTruth())
        .containsExactly(new SimModel.VmTruth("vm", "unknown", "h1", 1, "h1"));
    model.healHost(h1);
    assertThat(model.vmTruth()).containsExactly(new SimModel.VmTruth("vm", "up", "h1", 1));
    model.powerFenceHost(h1);
    assertThat(model.vmTruth()).containsExactly(new SimModel.VmTruth("vm", "down", "", 0));
    model.crashHost(h2);
    model.healHost(h2);
    assertThat(observer.sample()).isEmpty();
  }
}
