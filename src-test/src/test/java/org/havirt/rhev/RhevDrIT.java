package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.PasswordCipher;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.dr.DrNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery against the RHEV-M simulator: one datacenter, the primary site's cluster "prod"
 * (h1, h2) and the DR site's cluster "dr" (d1, d2). This node is d1, at the DR site.
 */
class RhevDrIT {
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevBackend backend;
  ResourceAgent agent;
  SimModel.Host h1;
  SimModel.Host h2;
  SimModel.Host d1;
  SimModel.Host d2;
  SimModel.Vm vm;
  PasswordCipher cipher;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir, 0, "admin@internal", "pw");
    sim.model.stepMillis = 100;
    sim.model.addCluster("prod");
    sim.model.addCluster("dr");
    h1 = sim.model.addHost("h1", "prod"); // the first host is the datacenter's SPM
    h2 = sim.model.addHost("h2", "prod");
    d1 = sim.model.addHost("d1", "dr");
    d2 = sim.model.addHost("d2", "dr");
    vm = sim.model.addVm("erp", "prod");
    cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend = backendOn("d1");
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
  }

  RhevBackend backendOn(String host) {
    return new RhevBackend(
        new VmBackendFactory.Settings(
            Map.of("rhev.host", host, "key.file", dir.resolve("havirt.key").toString())));
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
  }

  GuestSpec spec(String cluster, String... drOpts) {
    Map<String, String> info = sim.rhevmInfo(cipher.encrypt("pw"), cluster);
    Map<String, AttributeValue> attrs = new LinkedHashMap<>();
    attrs.put("GuestName", new AttributeValue.Scalar("erp"));
    attrs.put("RHEVMInfo", new AttributeValue.Association(info));
    attrs.put("MonitorInterval", new AttributeValue.Scalar("1"));
    if (drOpts.length > 0) {
      Map<String, String> dr = new LinkedHashMap<>();
      for (int i = 0; i < drOpts.length; i += 2) {
        dr.put(drOpts[i], drOpts[i + 1]);
      }
      attrs.put("DROpts", new AttributeValue.Association(dr));
    }
    return new GuestSpec("erp_vm", attrs);
  }

  static final String[] DR_SITE = {
    "ConfigureNetwork", "1",
    "IPAddress", "10.2.0.15",
    "Netmask", "255.255.255.0",
    "Gateway", "10.2.0.1",
    "DNSServers", "10.2.0.53 10.2.1.53",
    "DNSSearchPath", "dr.example.com",
    "Device", "eth0"
  };

  String clusterOf(SimModel.Vm v) {
    return sim.model.clusterName(v.clusterId);
  }

  MonitorResult awaitUp(GuestSpec g, String host) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    MonitorResult m = agent.monitor(g).state().orElseThrow();
    while (!m.reason().equals("rhev: up on " + host) && System.nanoTime() < deadline) {
      Thread.sleep(50); // the simulated VM boots on its own clock; RHEV-M pushes nothing
      m = agent.monitor(g).state().orElseThrow();
    }
    return m;
  }

  @Test
  void aDrStartMovesTheVmToThisClusterWithTheSitePayload() throws Exception {
    GuestSpec g = spec("dr", DR_SITE);
    EntryResult on = agent.online(g);
    assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(clusterOf(vm)).isEqualTo("dr");
    assertThat(vm.payload).containsOnlyKeys(DrNetwork.PAYLOAD_FILE);
    assertThat(vm.payload.get(DrNetwork.PAYLOAD_FILE))
        .contains("IPADDR=\"10.2.0.15\"")
        .contains("NETMASK=\"255.255.255.0\"")
        .contains("GATEWAY=\"10.2.0.1\"")
        .contains("DNS=\"10.2.0.53 10.2.1.53\"")
        .contains("SEARCH=\"dr.example.com\"")
        .contains("DEVICE=\"eth0\"");
    assertThat(awaitUp(g, "d1")).isEqualTo(MonitorResult.online(100, "rhev: up on d1"));
  }

  @Test
  void withoutDrOptsAStartInAnotherClusterIsRefusedAndNothingChanges() {
    EntryResult on = agent.online(spec("dr"));
    assertThat(on.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(on.reason())
        .contains("VM erp is in RHEV cluster prod and host d1 is in cluster dr")
        .contains("only for disaster recovery, with DROpts");
    assertThat(clusterOf(vm)).isEqualTo("prod");
    assertThat(vm.status).isEqualTo("down");
    assertThat(vm.payload).isEmpty();
  }

  @Test
  void unusableDrOptsAreRefusedBeforeTheVmIsTouched() {
    EntryResult on =
        agent.online(
            spec(
                "dr",
                "ConfigureNetwork",
                "1",
                "IPAddress",
                "10.2.0.15",
                "Netmask",
                "24",
                "Gateway",
                "10.3.0.1"));
    assertThat(on.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(on.reason())
        .contains(
            "DROpts is not usable: DROpts.Gateway 10.3.0.1 is outside the subnet 10.2.0.0/24");
    assertThat(clusterOf(vm)).isEqualTo("prod");
    assertThat(vm.payload).isEmpty();
  }

  @Test
  void aStaleDrPayloadIsRemovedWhenTheVmStartsWithoutDrOpts() throws Exception {
    vm.payload.put(DrNetwork.PAYLOAD_FILE, "IPADDR=\"10.2.0.15\"\n");
    try (RhevBackend onH1 = backendOn("h1")) {
      ResourceAgent primary = new ResourceAgent(onH1, Ticker.SYSTEM);
      EntryResult on = primary.online(spec("prod"));
      assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
      assertThat(vm.payload).as("the DR site's network must not reach the primary site").isEmpty();
    }
  }

  @Test
  void aSameClusterStartWithDrOptsSetsThePayloadAndStaysInTheCluster() {
    try (RhevBackend onH2 = backendOn("h2")) {
      EntryResult on = new ResourceAgent(onH2, Ticker.SYSTEM).online(spec("prod", DR_SITE));
      assertThat(on.exec()).as(on.reason()).isEqualTo(ExecStatus.DONE);
      assertThat(clusterOf(vm)).isEqualTo("prod");
      assertThat(vm.payload).containsKey(DrNetwork.PAYLOAD_FILE);
    }
  }

  List<String> takeOver(Duration wait) throws BackendException {
    List<String> lines = new ArrayList<>();
    backend.takeOverSite(
        spec("dr", DR_SITE), wait, Deadline.in(Duration.ofSeconds(60)), lines::add);
    return lines;
  }

  @Test
  void preonlineMovesARemoteSpmHereAndReactivatesTheRemoteHosts() throws Exception {
    assertThat(sim.model.spm("Default")).contains(h1);
    List<String> lines = takeOver(Duration.ofSeconds(20));
    assertThat(sim.model.spm("Default").orElseThrow().clusterId).isEqualTo(d1.clusterId);
    assertThat(lines)
        .contains(
            "the SPM is host h1 in the remote cluster prod (up)",
            "deactivated remote host h1",
            "deactivated remote host h2",
            "re-activated remote host h1",
            "re-activated remote host h2");
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("the SPM is now host d"));
    awaitHostsUp(h1, h2);
  }

  @Test
  void preonlineFencesANonResponsiveRemoteSpmHostFirst() throws Exception {
    sim.model.crashHost(h1);
    List<String> lines = takeOver(Duration.ofSeconds(20));
    assertThat(lines)
        .contains(
            "the SPM is host h1 in the remote cluster prod (non_responsive)",
            "confirmed the manual fence of non_responsive SPM host h1",
            "deactivated remote host h2");
    assertThat(sim.model.spm("Default").orElseThrow().clusterId).isEqualTo(d1.clusterId);
  }

  @Test
  void preonlineFencesANonResponsiveLocalSpmHost() throws Exception {
    h1.spm = "none";
    d2.spm = "spm";
    d1.spmPriority = 9; // the administrator prefers this site's d1
    sim.model.crashHost(d2);
    List<String> lines = takeOver(Duration.ofSeconds(20));
    assertThat(lines)
        .contains(
            "the SPM host d2 in this cluster is non_responsive",
            "confirmed the manual fence of non_responsive SPM host d2",
            "the SPM is now host d1 in this cluster dr");
    assertThat(lines).noneMatch(l -> l.startsWith("deactivated"));
  }

  @Test
  void preonlineWithTheSpmAlreadyHereDoesNothing() throws Exception {
    h1.spm = "none";
    d1.spm = "spm";
    assertThat(takeOver(Duration.ofSeconds(5)))
        .containsExactly("the SPM is host d1 in this cluster dr (up)");
    assertThat(h1.status).isEqualTo("up");
  }

  @Test
  void preonlineGivesUpWhenTheSpmCannotMoveAndStillReactivatesTheRemoteHosts() throws Exception {
    sim.model.deactivate(d1);
    sim.model.deactivate(d2);
    assertThatThrownBy(() -> takeOver(Duration.ofSeconds(2)))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("the SPM did not move to RHEV cluster dr within 2 s");
    awaitHostsUp(h1, h2);
  }

  void awaitHostsUp(SimModel.Host... hosts) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      sim.model.spm("Default"); // applies due transitions
      if (List.of(hosts).stream().allMatch(h -> h.status.equals("up"))) {
        return;
      }
      Thread.sleep(20); // host activation takes its simulated steps
    }
    assertThat(List.of(hosts)).allSatisfy(h -> assertThat(h.status).isEqualTo("up"));
  }

  @Test
  void aDroppedConnectionIsUnknownAndTheNextRoundRecovers() {
    GuestSpec g = spec("prod");
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
    sim.faultsOnlyOn = "/vms"; // not the events feed, polled beside the monitor
    sim.dropConnections.set(3);
    MonitorResult m = agent.monitor(g).state().orElseThrow();
    assertThat(m.state()).isEqualTo(ResourceState.UNKNOWN);
    assertThat(m.reason()).contains("RHEV-M");
    sim.dropConnections.set(0);
    assertThat(agent.monitor(g).state().orElseThrow().state()).isEqualTo(ResourceState.OFFLINE);
  }
}
