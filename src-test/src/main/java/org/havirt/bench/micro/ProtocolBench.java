package org.havirt.bench.micro;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.havirt.agent.core.ResourceStatus;
import org.havirt.agent.protocol.Json;
import org.havirt.types.ResourceState;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** Encoding one state-change event line for the engine socket. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProtocolBench {
  private final ResourceStatus status =
      new ResourceStatus(
          "web_vm",
          "KVMGuest",
          ResourceState.OFFLINE,
          0,
          "libvirt: shut off (destroyed)",
          Optional.empty(),
          "ONLINE",
          Optional.empty(),
          Optional.of(Instant.parse("2026-11-22T08:00:00Z")),
          42);

  @Benchmark
  public String encodeEvent() {
    return Json.event(status, "2026-11-22T08:00:00.123Z", false).toString();
  }
}
