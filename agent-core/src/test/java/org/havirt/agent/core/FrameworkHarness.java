package org.havirt.agent.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/** An agent with one resource driven by hand: a manual clock, a fake VM, every event recorded. */
abstract class FrameworkHarness {
  final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  final AgentLoop loop = new AgentLoop(nanos::get);
  final FakeRunner vm = new FakeRunner();
  final Agent agent =
      new Agent(loop, vm, Clock.fixed(Instant.parse("2026-11-22T00:00:00Z"), ZoneOffset.UTC));
  final List<ResourceStatus> events = new ArrayList<>();

  FrameworkHarness() {
    agent.subscribe(events::add);
  }

  static GuestSpec spec(String... kv) {
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("GuestName", new AttributeValue.Scalar("vm1"));
    // The framework defaults of spec §5, as the resolver would fill them in.
    String[] defaults = {
      "MonitorInterval",
      "60",
      "OfflineMonitorInterval",
      "300",
      "OnlineWaitLimit",
      "2",
      "ToleranceLimit",
      "0",
      "RestartLimit",
      "0",
      "ConfInterval",
      "600",
      "FaultOnMonitorTimeouts",
      "4",
      "CleanRetryLimit",
      "0",
      "IntentionalOffline",
      "1",
      "MonitorTimeout",
      "60",
      "OnlineTimeout",
      "300",
      "OfflineTimeout",
      "300",
      "CleanTimeout",
      "60"
    };
    for (int i = 0; i < defaults.length; i += 2) {
      m.put(defaults[i], new AttributeValue.Scalar(defaults[i + 1]));
    }
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], new AttributeValue.Scalar(kv[i + 1]));
    }
    return new GuestSpec("r1", m);
  }

  void advance(Duration d) {
    long target = nanos.get() + d.toNanos();
    // Step one second at a time so timers fire in order, as they would in real time.
    while (nanos.get() < target) {
      nanos.addAndGet(Math.min(1_000_000_000L, target - nanos.get()));
      loop.runDue();
    }
    loop.runDue();
  }

  ResourceStatus status() {
    CompletableFuture<List<ResourceStatus>> f = agent.status(Optional.of("r1"));
    loop.runDue();
    return f.join().get(0);
  }

  void add(GuestSpec s) {
    agent.add("r1", "KVMGuest", s);
    loop.runDue();
  }

  CompletableFuture<CommandReply> command(Invocation inv) {
    CompletableFuture<CommandReply> f = agent.command("r1", inv);
    loop.runDue();
    loop.runDue();
    return f;
  }

  static GuestSpec with(GuestSpec g, String k, String v) {
    Map<String, AttributeValue> m = new HashMap<>(g.attributes());
    m.put(k, new AttributeValue.Scalar(v));
    return new GuestSpec(g.resource(), m);
  }

  static GuestSpec withVector(GuestSpec g, String k, List<String> v) {
    Map<String, AttributeValue> m = new HashMap<>(g.attributes());
    m.put(k, new AttributeValue.Vector(v));
    return new GuestSpec(g.resource(), m);
  }
}
