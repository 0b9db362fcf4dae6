package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        JsonNode untrusted = e.awaitEvent("untrusted_vm", "UNKNOWN", T);
        assertThat(untrusted.path("reason").asText()).contains("is not trusted");
        JsonNode refused = e.call("online", T, "resource", "untrusted_vm");
        assertThat(refused.toString()).as("never acts on uncertainty").doesNotContain("\"done\"");
        assertThat(sim.model.vmByName("erp").orElseThrow().status).isEqualTo("down");
        System.out.printf(
            "RHEV-M power-off to engine event: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
      }
    }
  }
}
