package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimFaults;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.CleanReason;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.PasswordCipher;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each kind of RHEV-M fault the simulator injects, against the RHEV backend through the resource
 * agent over real HTTPS: a fault is never a false OFFLINE or FAULTED (UNKNOWN instead), nothing is
 * stopped on an answer that cannot be believed, and the resource is ONLINE again once the fault
 * heals. vm1 runs on h1, this node's host, throughout (the simulator's model is the truth).
 */
class RhevFaultsIT {
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevBackend backend;
  ResourceAgent agent;
  SimModel.Host h1;
  SimModel.Vm vm1;
  GuestSpec g;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir, 0, "admin@internal", "s3cret!");
    sim.model.stepMillis = 100;
    sim.model.addCluster("prod");
    h1 = sim.model.addHost("h1", "prod");
    sim.model.addHost("h2", "prod");
    vm1 = sim.model.addVm("vm1", "prod");
    PasswordCipher cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend =
        new RhevBackend(
            new VmBackendFactory.Settings(
                Map.of("rhev.host", "h1", "key.file", dir.resolve("havirt.key").toString())));
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
    g =
        new GuestSpec(
            "res_vm1",
            Map.of(
                "GuestName",
                new AttributeValue.Scalar("vm1"),
                "RHEVMInfo",
                new AttributeValue.Association(sim.rhevmInfo(cipher.encrypt("s3cret!"), "prod")),
                "DelayAfterGuestOffline",
                new AttributeValue.Scalar("5"),
                "MonitorTimeout",
                new AttributeValue.Scalar("3"),
                // 1 s: no listing is reused, every monitor asks RHEV-M.
                "MonitorInterval",
                new AttributeValue.Scalar("1")));
    assertThat(sim.model.start(vm1, h1)).isEmpty();
    awaitOnline100();
    // Faults hit the VM listing and search only: the events feed polled beside the monitor must
    // not take a one-shot fault meant for the entry point under test.
    sim.faultsOnlyOn = "/vms";
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
  }

  MonitorResult monitor() {
    return agent.monitor(g).state().orElseThrow();
  }

  /** Polls until ONLINE 100 (the simulated boot takes three steps), within 20 s. */
  void awaitOnline100() throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    MonitorResult m = monitor();
    while (!m.equals(MonitorResult.online(100, "rhev: up on h1")) && System.nanoTime() < deadline) {
      Thread.sleep(50); // the simulated VM changes on its own clock; RHEV-M pushes nothing
      m = monitor();
    }
    assertThat(m).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  /**
   * The VM still runs on h1, as the simulator (not the agent) says, and RHEV-M received no stop,
   * shutdown or migration of it (its action audit).
   */
  void assertStillUpOnH1() {
    assertThat(sim.model.vmTruth())
        .singleElement()
        .isEqualTo(new SimModel.VmTruth("vm1", "up", "h1", 1));
    assertThat(sim.model.actions(0))
        .as("actions RHEV-M received")
        .noneMatch(a -> a.action().equals("stop"))
        .noneMatch(a -> a.action().equals("shutdown"))
        .noneMatch(a -> a.action().equals("migrate"));
  }

  @ParameterizedTest
  @EnumSource(SimFaults.Garbage.class)
  void aGarbageAnswerIsUnknownAndStopsNothing(SimFaults.Garbage kind) throws Exception {
    sim.garbageKind = kind;
    sim.garbage.set(1);
    MonitorResult m = monitor();
    assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
    sim.garbage.set(1);
    EntryResult off = agent.offline(g);
    assertThat(off.exec()).as("offline on garbage: " + off.reason()).isNotEqualTo(ExecStatus.DONE);
    sim.garbage.set(1);
    EntryResult clean = agent.clean(g, CleanReason.UNEXPECTED_OFFLINE);
    assertThat(clean.exec())
        .as("clean on garbage: " + clean.reason())
        .isNotEqualTo(ExecStatus.DONE);
    assertStillUpOnH1();
    assertThat(monitor()).as("healed").isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  @Test
  void a5xxIsUnknownAndStopsNothing() throws Exception {
    sim.fail5xx.set(1);
    assertThat(monitor().state()).isEqualTo(ResourceState.UNKNOWN);
    sim.fail5xx.set(1);
    assertThat(agent.offline(g).exec()).isNotEqualTo(ExecStatus.DONE);
    sim.fail5xx.set(1);
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isNotEqualTo(ExecStatus.DONE);
    assertStillUpOnH1();
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  @Test
  void aConnectionDroppedMidResponseIsUnknownAndStopsNothing() throws Exception {
    sim.dropMidResponse.set(1);
    MonitorResult m = monitor();
    assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(m.reason()).contains("unreachable");
    sim.dropMidResponse.set(1);
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isNotEqualTo(ExecStatus.DONE);
    assertStillUpOnH1();
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  @Test
  void tokensRevokedOnEveryRequestAreUnknownThenRenewedWhenHealed() throws Exception {
    sim.faults = new SimFaults(7);
    sim.faults.pRevoke = 1; // every request: the token is gone, and so is the fresh one
    MonitorResult m = monitor();
    assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isNotEqualTo(ExecStatus.DONE);
    assertStillUpOnH1();
    sim.faults.heal();
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  @Test
  void aPartitionedHostsVmIsUnknownUntouchedAndOnlineWhenItHeals() throws Exception {
    sim.model.partitionHost(h1);
    MonitorResult m = monitor();
    assertThat(m.state()).as(m.reason()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(agent.offline(g).exec()).isNotEqualTo(ExecStatus.DONE);
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isNotEqualTo(ExecStatus.DONE);
    assertThat(agent.online(g).exec()).as("never a second copy").isNotEqualTo(ExecStatus.DONE);
    assertThat(sim.model.vmTruth())
        .singleElement()
        .isEqualTo(new SimModel.VmTruth("vm1", "unknown", "h1", 1, "h1"));
    sim.model.healHost(h1);
    assertStillUpOnH1();
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  @Test
  void aPowerFencedHostsVmIsOfflineAndStartsAgainWhenTheHostIsUp() throws Exception {
    sim.model.powerFenceHost(h1);
    assertThat(monitor()).isEqualTo(MonitorResult.offline("rhev: down"));
    assertThat(sim.model.vmTruth())
        .singleElement()
        .isEqualTo(new SimModel.VmTruth("vm1", "down", "", 0));
    long deadline = System.nanoTime() + 10_000_000_000L;
    EntryResult on = agent.online(g);
    while (on.exec() != ExecStatus.DONE && System.nanoTime() < deadline) {
      Thread.sleep(100); // the host reboots on the simulator's clock
      on = agent.online(g);
    }
    assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
    awaitOnline100();
  }

  @Test
  void seededRandomFaultsAreNeverAFalseOfflineAndHeal() throws Exception {
    sim.faultsOnlyOn = null; // everything, events feed and login included
    sim.faults = new SimFaults(42);
    sim.faults.maxLatencyMillis = 300; // well inside MonitorTimeout 3 s, even on a loaded host
    sim.faults.p5xx = 0.1;
    sim.faults.pGarbage = 0.15;
    sim.faults.pDrop = 0.1;
    sim.faults.pRevoke = 0.1;
    int unknown = 0;
    for (int i = 0; i < 60; i++) {
      MonitorResult m = monitor();
      assertThat(m.state())
          .as("monitor %d: %s", i, m.reason())
          .isIn(ResourceState.ONLINE, ResourceState.UNKNOWN);
      if (m.state() == ResourceState.ONLINE) {
        assertThat(m).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
      } else {
        unknown++;
      }
    }
    assertStillUpOnH1();
    assertThat(unknown).as("the faults did hit some monitors").isPositive();
    assertThat(sim.faults.counts()).allSatisfy((k, n) -> assertThat(n).as(k).isPositive());
    sim.faults.heal();
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
  }

  /** POSTs (or GETs, with a null body) the simulator's control door over HTTPS, as a harness. */
  com.fasterxml.jackson.databind.JsonNode control(String path, String body) throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(sim.caPem())) {
      ks.setCertificateEntry(
          "ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(
            javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().sslContext(ctx).build();
    java.net.http.HttpRequest.Builder rb =
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(sim.url() + "/havirt-sim" + path));
    rb = body == null ? rb.GET() : rb.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    java.net.http.HttpResponse<String> r =
        http.send(rb.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
  }

  @Test
  void anOutOfProcessHarnessDrivesFaultsAndReadsTheTruthThroughTheControlDoor() throws Exception {
    sim.faultsOnlyOn = null;
    assertThat(control("/truth", null).path("vms").get(0).toString())
        .contains("\"name\":\"vm1\"", "\"status\":\"up\"", "\"host\":\"h1\"", "\"copies\":1");
    control("/faults", "{\"seed\": 5, \"p5xx\": 1}");
    assertThat(monitor().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(control("/truth", null).path("faults").path("http_5xx").asLong()).isPositive();
    control("/heal", "{}");
    assertThat(monitor()).isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    control("/hosts/h1/partition", "{}");
    assertThat(monitor().state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(control("/hosts/h1/heal", "{}").path("vms").get(0).path("status").asText())
        .isEqualTo("up");
    assertThat(control("/hosts/h2/crash", "{}").path("hosts").get(1).path("status").asText())
        .isEqualTo("non_responsive");
    assertThat(control("/hosts/h2/heal", "{}").path("hosts").get(1).path("status").asText())
        .isEqualTo("up");
    assertThat(control("/hosts/h2/powerfence", "{}").path("hosts").get(1).path("status").asText())
        .isEqualTo("reboot");
    assertThat(monitor())
        .as("h2's troubles are not vm1's")
        .isEqualTo(MonitorResult.online(100, "rhev: up on h1"));
    control("/vms/vm1/crash", "{}");
    assertThat(monitor()).isEqualTo(MonitorResult.offline("rhev: down"));
    assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
    com.fasterxml.jackson.databind.JsonNode start =
        control("/actions?after=0", null).path("actions");
    assertThat(start.toString())
        .contains(
            "\"user\":\"admin@internal\"",
            "\"vm\":\"vm1\"",
            "\"action\":\"start\"",
            "\"vmStatus\":\"down\"",
            "\"target\":\"h1\"",
            "\"refused\":\"\"");
  }
}
