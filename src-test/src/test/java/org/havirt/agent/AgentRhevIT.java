package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A RHEV resource through the agent daemon's socket, against the RHEV-M simulator over HTTPS. */
class AgentRhevIT {
  static final Duration T = Duration.ofSeconds(30);
  @TempDir Path dir;

  @Test
  void onlineThroughTheSocketAndAChangeInRhevmReachesTheEngine() throws Exception {
    try (RhevmSimulator sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw")) {
      sim.model.stepMillis = 100;
      sim.model.addCluster("prod");
      sim.model.addHost("hv1", "prod");
      sim.model.addHost("hv2", "prod");
      sim.model.addVm("erp", "prod");
      Path key = dir.resolve("havirt.key");
      String password = PasswordCipher.openOrCreate(key).encrypt("pw");
      Path main = dir.resolve("main.cf");
      Files.writeString(
          main,
          "system n1 ( PhysicalServer = hv1 )\nsystem n2 ( PhysicalServer = hv2 )\n"
              + "group g ( SystemList = { n1 = 0, n2 = 1 } )\n"
              + "KVMGuest erp_vm ( GuestName = erp\n  DelayAfterGuestOnline = 1\n  MonitorInterval = 3600\n"
              + "  RHEVMInfo = { Enabled = 1, URL = \""
              + sim.url()
              + "\", User = \"admin@internal\", Password = "
              + password
              + ", Cluster = prod, CAFile = \""
              + sim.caPem()
              + "\" } )\n"
              // The same RHEV-M without its CA: TLS verification must fail, and say so.
              + "KVMGuest untrusted_vm ( GuestName = erp\n  MonitorInterval = 3600\n"
              + "  RHEVMInfo = { Enabled = 1, URL = \""
              + sim.url()
              + "\", User = \"admin@internal\", Password = "
              + password
              + ", Cluster = prod } )\n");
      Path socket = dir.resolve("agent.sock");
      Map<String, String> node =
          Map.of("key.file", key.toString(), "state.dir", dir.resolve("state").toString());
      try (AgentDaemon daemon = TestDaemons.start(main, "n1", socket, TestDaemons.me(), node);
          EngineClient e = new EngineClient(socket)) {
        assertThat(daemon.managed()).isEqualTo(2);
        e.call("subscribe", T);
        JsonNode on = e.call("online", T, "resource", "erp_vm");
        assertThat(on.path("exec").asText()).as(on.toString()).isEqualTo("done");
        assertThat(on.path("status").path("state").asText()).isEqualTo("ONLINE");
        JsonNode onlineEvent = e.awaitEvent("erp_vm", "ONLINE", T);
        assertThat(onlineEvent).isNotNull();
        long after = onlineEvent.path("seq").asLong();
        // Someone powers the VM off in RHEV-M. MonitorInterval is an hour: only the events feed
        // can make the agent look.
        long t0 = System.nanoTime();
        sim.model.stop(sim.model.vmByName("erp").orElseThrow());
        // Only an event newer than the ONLINE one counts (the probe's OFFLINE came before it).
        JsonNode off =
            e.await(
                n ->
                    n.has("event")
                        && !n.has("snapshot")
                        && n.path("resource").asText().equals("erp_vm")
                        && n.path("state").asText().equals("OFFLINE")
                        && n.path("seq").asLong() > after,
                T);
        assertThat(off).as("the OFFLINE event").isNotNull();
        assertThat(off.path("reason").asText()).isEqualTo("rhev: down");
        // Its first UNKNOWN may be "not probed yet" (published when it was added, which can come
        // after this client subscribed): wait for the one that carries the validation's verdict.
        JsonNode untrusted =
            e.await(
                n ->
                    n.has("event")
                        && n.path("resource").asText().equals("untrusted_vm")
                        && n.path("state").asText().equals("UNKNOWN")
                        && n.path("reason").asText().contains("is not trusted"),
                T);
        assertThat(untrusted).as("UNKNOWN: the certificate is not trusted").isNotNull();
        JsonNode refused = e.call("online", T, "resource", "untrusted_vm");
        assertThat(refused.toString()).as("never acts on uncertainty").doesNotContain("\"done\"");
        assertThat(sim.model.vmByName("erp").orElseThrow().status).isEqualTo("down");
        System.out.printf(
            "RHEV-M power-off to engine event: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
      }
    }
  }

  /**
   * Spec §6 through the real agent: a VM that runs on RHEV host hv2 is never stopped by n1 (hv1),
   * whatever path reaches offline or clean: the framework's "online ineffective" clean after a
   * refused online, the engine's stop (offline, then clean 0) after it, and the "unexpected
   * offline" clean that answers a migration started in RHEV-M away from hv1 (IntentionalOffline =
   * 0, the VCS default). Both with and without link expansion in the engine.
   */
  @ParameterizedTest(name = "expandLinks={0}")
  @ValueSource(booleans = {true, false})
  void aVmOnAnotherRhevHostIsNeverStoppedFromHere(boolean expand) throws Exception {
    try (RhevmSimulator sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw")) {
      sim.expandLinks = expand;
      sim.model.stepMillis = 100;
      sim.model.addCluster("prod");
      SimModel.Host hv1 = sim.model.addHost("hv1", "prod");
      SimModel.Host hv2 = sim.model.addHost("hv2", "prod");
      SimModel.Vm erp = sim.model.addVm("erp", "prod");
      SimModel.Vm crm = sim.model.addVm("crm", "prod");
      sim.model.start(erp, hv2);
      Path key = dir.resolve("havirt.key");
      String password = PasswordCipher.openOrCreate(key).encrypt("pw");
      String rhevm =
          "  RHEVMInfo = { Enabled = 1, URL = \""
              + sim.url()
              + "\", User = \"admin@internal\", Password = "
              + password
              + ", Cluster = prod, CAFile = \""
              + sim.caPem()
              + "\" } )\n";
      Path main = dir.resolve("main.cf");
      Files.writeString(
          main,
          "system n1 ( PhysicalServer = hv1 )\nsystem n2 ( PhysicalServer = hv2 )\n"
              + "group g ( SystemList = { n1 = 0, n2 = 1 } )\n"
              + "KVMGuest erp_vm ( GuestName = erp\n  DelayAfterGuestOnline = 1\n"
              + "  MonitorInterval = 1\n  OnlineWaitLimit = 0\n"
              + rhevm
              + "KVMGuest crm_vm ( GuestName = crm\n  DelayAfterGuestOnline = 1\n"
              + "  MonitorInterval = 1\n  IntentionalOffline = 0\n"
              + rhevm);
      Path socket = dir.resolve("agent.sock");
      Map<String, String> node =
          Map.of("key.file", key.toString(), "state.dir", dir.resolve("state").toString());
      try (AgentDaemon daemon = TestDaemons.start(main, "n1", socket, TestDaemons.me(), node);
          EngineClient e = new EngineClient(socket)) {
        e.call("subscribe", T);
        assertThat(e.awaitEvent("erp_vm", "INTENTIONAL OFFLINE", T)).isNotNull();
        // The engine onlines erp here: refused, so the framework monitors, finds the online
        // ineffective, cleans and faults the resource. The clean must leave the VM on hv2 alone.
        JsonNode on = e.call("online", T, "resource", "erp_vm");
        assertThat(on.toString()).contains("refusing to start a second copy");
        JsonNode faulted =
            e.await(
                n ->
                    n.has("event")
                        && n.path("resource").asText().equals("erp_vm")
                        && n.path("flag").asText().equals("FAULTED"),
                T);
        assertThat(faulted).as("the online-ineffective clean ran, then the fault").isNotNull();
        assertThat(where(sim, "erp")).isEqualTo("up on " + hv2.id);
        // Pacemaker's stop after its failed start: offline, then clean with reason 0.
        JsonNode off = e.call("offline", T, "resource", "erp_vm");
        assertThat(off.path("status").path("state").asText())
            .as(off.toString())
            .isEqualTo("INTENTIONAL OFFLINE");
        JsonNode clean = e.call("clean", T, "resource", "erp_vm", "reason", 0);
        assertThat(clean.path("exec").asText()).as(clean.toString()).isEqualTo("done");
        assertThat(where(sim, "erp")).isEqualTo("up on " + hv2.id);

        // crm runs here; RHEV-M (its UI) migrates it to hv2. The source sees it go and, with
        // IntentionalOffline = 0, cleans: that clean must not stop it on hv2.
        JsonNode crmOn = e.call("online", T, "resource", "crm_vm");
        assertThat(crmOn.path("exec").asText()).as(crmOn.toString()).isEqualTo("done");
        long seq = e.awaitEvent("crm_vm", "ONLINE", T).path("seq").asLong();
        long deadline = System.nanoTime() + T.toNanos();
        while (!"up".equals(sim.model.vmByName("crm").orElseThrow().status)
            && System.nanoTime() < deadline) {
          Thread.sleep(20); // the simulated boot; migration needs the VM up
        }
        assertThat(sim.model.migrate(crm, hv2)).isEmpty();
        JsonNode gone =
            e.await(
                n ->
                    n.has("event")
                        && n.path("resource").asText().equals("crm_vm")
                        && n.path("flag").asText().equals("FAULTED")
                        && n.path("seq").asLong() > seq,
                T);
        assertThat(gone).as("the unexpected-offline clean ran, then the fault").isNotNull();
        long landed = System.nanoTime() + T.toNanos();
        while (where(sim, "crm").startsWith("migrating") && System.nanoTime() < landed) {
          Thread.sleep(20); // the simulated migration lands on its own clock
        }
        assertThat(where(sim, "crm")).as("never stopped").isEqualTo("up on " + hv2.id);
        assertThat(daemon.managed()).isEqualTo(2);
      }
    }
  }

  /** The VM's status and host id as the simulated RHEV-M has them now. */
  static String where(RhevmSimulator sim, String vm) {
    synchronized (sim.model) {
      SimModel.Vm v = sim.model.vmByName(vm).orElseThrow();
      return v.status + " on " + v.hostId;
    }
  }
}
