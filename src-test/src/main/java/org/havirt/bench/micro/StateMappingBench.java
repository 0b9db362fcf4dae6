package org.havirt.bench.micro;

import java.util.concurrent.TimeUnit;
import org.havirt.types.state.LibvirtStateTable;
import org.havirt.types.state.RhevStateTable;
import org.havirt.types.state.StatePolicy;
import org.havirt.types.state.VmStateTable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/** The state tables: a VM's native state to a monitor result, as every monitor does it. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class StateMappingBench {
  private static final String[] RHEV = {
    "up", "down", "paused", "migrating", "powering_up", "not_responding", "unknown", "suspended"
  };
  private int i;

  /** One libvirt (state, reason) pair to a monitor result, cycling through all 8 states. */
  @Benchmark
  public void libvirtStateToMonitorResult(Blackhole bh) {
    int state = (i++ & 7);
    bh.consume(
        VmStateTable.toMonitorResult(
            "libvirt", LibvirtStateTable.classify(state, i & 3), StatePolicy.DEFAULT));
  }

  /** One RHEV-M status string (as it arrives in JSON) to a monitor result. */
  @Benchmark
  public void rhevStatusToMonitorResult(Blackhole bh) {
    bh.consume(
        VmStateTable.toMonitorResult(
            "rhev", RhevStateTable.classify(RHEV[i++ & 7]), StatePolicy.DEFAULT));
  }
}
