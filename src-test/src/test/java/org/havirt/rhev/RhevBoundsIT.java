package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.PasswordCipher;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.state.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What havirt asks RHEV-M and how much it reads: the events feed paged, every answer capped, and
 * search values quoted, against a simulator that keeps a long events history and parses {@code
 * search=} as strictly as the engine.
 */
class RhevBoundsIT {
  static final String USER = "admin@internal";
  static final String HOST = "h \"one\" x";
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevBackend backend;
  PasswordCipher cipher;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir.resolve("rhevm"), 0, USER, "pw");
    sim.model.stepMillis = 100;
    sim.model.addCluster("prod*");
    sim.model.addCluster("prod2");
    sim.model.addHost(HOST, "prod*");
    sim.model.addHost("h2", "prod2");
    for (String vm : List.of("my vm", "say \"hi\"", "prod*")) {
      sim.model.addVm(vm, "prod*");
    }
    sim.model.addVm("prod1", "prod2");
    sim.model.addVm("My VM", "prod2");
    cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend = backend(Map.of());
  }

  RhevBackend backend(Map<String, String> extra) {
    Map<String, String> s = new HashMap<>(extra);
    s.put("rhev.host", HOST);
    s.put("key.file", dir.resolve("havirt.key").toString());
    s.putIfAbsent("rhev.events.poll.ms", "100");
    return new RhevBackend(new VmBackendFactory.Settings(s));
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
  }

  GuestSpec spec(String vm) {
    return spec(vm, "prod*");
  }

  GuestSpec spec(String vm, String cluster) {
    Map<String, String> info = sim.rhevmInfo(cipher.encryptFor("pw", sim.url(), USER), cluster);
    return new GuestSpec(
        "res",
        Map.of(
            "GuestName",
            new AttributeValue.Scalar(vm),
            "RHEVMInfo",
            new AttributeValue.Association(info),
            "MonitorInterval",
            new AttributeValue.Scalar("1"),
            "DelayAfterGuestOffline",
            new AttributeValue.Scalar("5")));
  }

  static Deadline soon() {
    return Deadline.in(Duration.ofSeconds(10));
  }

  @Test
  void namesWithASpaceAQuoteOrAStarAreFoundExactlyForEveryEntryPoint() throws Exception {
    ResourceAgent agent = new ResourceAgent(backend, Ticker.SYSTEM);
    for (String vm : List.of("my vm", "say \"hi\"", "prod*")) {
      GuestSpec g = spec(vm);
      assertThat(backend.verify(g, soon()))
          .as("verify %s", vm)
          .allSatisfy(c -> assertThat(c.passed()).as(c.name() + ": " + c.detail()).isTrue());
      assertThat(backend.inspect(g, soon()).state()).as(vm).isEqualTo(VmState.DOWN);
      EntryResult on = agent.online(g);
      assertThat(on.exec()).as("online %s: %s", vm, on.reason()).isEqualTo(ExecStatus.DONE);
      long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!backend.inspect(g, soon()).native_().equals("up") && System.nanoTime() < until) {
        Thread.sleep(50); // the simulated VM boots on its own clock
      }
      assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.ONLINE);
      EntryResult off = agent.offline(g);
      assertThat(off.exec()).as("offline %s: %s", vm, off.reason()).isEqualTo(ExecStatus.DONE);
    }
    assertThat(sim.model.vmByName("prod1").orElseThrow().status)
        .as("the wildcard's other match is untouched")
        .isEqualTo("down");
    assertThat(sim.model.vmByName("My VM").orElseThrow().status).isEqualTo("down");
  }

  @Test
  void aClusterNameWithAStarListsOnlyThatCluster() throws Exception {
    // prod1 exists, but in prod2, which the search prod* also matches.
    assertThat(backend.inspect(spec("prod1"), soon()).state()).isEqualTo(VmState.NOT_DEFINED);
    assertThat(backend.inspect(spec("My VM"), soon()).state()).isEqualTo(VmState.NOT_DEFINED);
  }

  @Test
  void aClusterNoneIsNamedExactlyIsAnErrorNeverAnEmptyCluster() throws Exception {
    // Names are compared case-sensitively: "PROD2" lists nothing. Taken for an empty cluster, it
    // made every running VM "not defined" (OFFLINE): a false failover of all of them.
    sim.model.start(sim.model.vmByName("prod1").orElseThrow(), sim.model.hostByName("h2").get());
    assertThatThrownBy(() -> backend.inspect(spec("prod1", "PROD2"), soon()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("no cluster named exactly 'PROD2'");
    assertThat(backend.inspect(spec("prod1", "prod2"), soon()).state())
        .isNotEqualTo(VmState.NOT_DEFINED);
  }

  @Test
  void theEventsFeedAsksForTheNewestFirstThenPages() throws Exception {
    sim.model.addEvents(5000, "User admin@internal logged in");
    List<String> hints = new CopyOnWriteArrayList<>();
    backend.subscribe((name, detail) -> hints.add(name + ": " + detail));
    assertThat(backend.inspect(spec("my vm"), soon()).state()).isEqualTo(VmState.DOWN);
    awaitQuery("from=5000");
    sim.model.addEvents(450, "User admin@internal logged in");
    awaitQuery("from=5450");
    sim.model.start(sim.model.vmByName("my vm").orElseThrow(), sim.model.hostByName(HOST).get());
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (hints.stream().noneMatch(h -> h.startsWith("my vm: ")) && System.nanoTime() < until) {
      Thread.sleep(20); // waiting for the poller's hint
    }
    assertThat(hints).anyMatch(h -> h.startsWith("my vm: "));
    List<String> queries = sim.eventQueries();
    assertThat(queries.get(0)).as("the first poll").isEqualTo("max=1");
    assertThat(queries.subList(1, queries.size()))
        .allMatch(q -> q.matches("from=\\d+&max=\\d+"), "every later poll pages");
  }

  private void awaitQuery(String part) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (sim.eventQueries().stream().noneMatch(q -> q.contains(part))
        && System.nanoTime() < until) {
      Thread.sleep(20); // waiting for the poller to catch up
    }
    assertThat(sim.eventQueries()).anyMatch(q -> q.contains(part));
  }

  @Test
  void anAnswerLargerThanTheCapIsAClearError() throws Exception {
    for (int i = 0; i < 100; i++) {
      sim.model.addVm("bulk" + i, "prod*");
    }
    backend.close();
    backend = backend(Map.of("rhev.max.response.bytes", "4096"));
    assertThatThrownBy(() -> backend.inspect(spec("my vm"), soon()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("larger than 4096 bytes")
        .hasMessageContaining("GET vms");
    assertThat(backend.verify(spec("my vm"), soon()))
        .extracting(Check::name)
        .as("small answers still read")
        .contains("rhevm");
  }
}
