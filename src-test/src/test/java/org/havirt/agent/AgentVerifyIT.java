package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent validates a resource's environment in open and attr_changed: while it fails the
 * resource is UNKNOWN with the failure as its reason and nothing acts on it; once fixed, the next
 * monitor clears it.
 */
class AgentVerifyIT {
  static final Duration T = Duration.ofSeconds(30);
  @TempDir Path dir;

  static boolean validationFailed(JsonNode n, String resource, String start) {
    return n.has("event")
        && n.path("resource").asText().equals(resource)
        && n.path("state").asText().equals("UNKNOWN")
        && n.path("reason").asText().startsWith("validation failed: " + start);
  }

  @Test
  void kvmUnknownWhileTheGuestIsNowhereThenRecoveredAndAttrChangedRevalidates() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    try (PrivateLibvirtd libvirtd = PrivateLibvirtd.testDriver(dir.resolve("tdrv"))) {
      Path main = dir.resolve("main.cf");
      Files.writeString(
          main,
          "group g ( SystemList = { n1 = 0 } )\n"
              + "KVMGuest res ( GuestName = g9\n  DelayAfterGuestOnline = 0\n"
              + "  MonitorInterval = 3600\n  OfflineMonitorInterval = 3600 )\n");
      Map<String, String> node =
          Map.of("libvirt.uri", libvirtd.uri(), "state.dir", dir.resolve("state").toString());
      Path socket = dir.resolve("agent.sock");
      try (AgentDaemon daemon = TestDaemons.start(main, "n1", socket, TestDaemons.me(), node);
          EngineClient e = new EngineClient(socket)) {
        assertThat(daemon.managed()).isEqualTo(1);
        e.call("subscribe", T);
        JsonNode held = e.await(n -> validationFailed(n, "res", "guest g9 is not defined"), T);
        assertThat(held).as("UNKNOWN with the first failure").isNotNull();

        for (String op : new String[] {"online", "clean"}) {
          JsonNode refused = e.call(op, T, "resource", "res");
          assertThat(refused.path("error").path("code").asText()).as(op).isEqualTo("invalid");
          assertThat(refused.path("error").path("message").asText())
              .contains("failed validation: guest g9 is not defined")
              .contains("havirtverify res");
        }
        assertThat(libvirtd.virsh("list", "--all", "--name")).doesNotContain("g9");
        JsonNode probe = e.call("monitor", T, "resource", "res");
        assertThat(probe.path("status").path("state").asText()).isEqualTo("UNKNOWN");

        // The administrator fixes it: the guest is defined. The next monitor clears the hold;
        // here libvirt's DEFINED event asks for it at once, with MonitorInterval at an hour.
        Path xml = Files.writeString(dir.resolve("g9.xml"), org.havirt.kvm.GuestsXml.test("g9"));
        long before = held.path("seq").asLong();
        libvirtd.virsh("define", xml.toString());
        assertThat(e.awaitEvent("res", "OFFLINE", before, T)).as("cleared").isNotNull();
        assertThat(e.call("online", T, "resource", "res").path("exec").asText()).isEqualTo("done");

        // attr_changed (GuestName is in RegList) runs the validation again.
        JsonNode bad =
            e.call("modify", T, "resource", "res", "attributes", Map.of("GuestName", "g10"));
        assertThat(bad.path("ok").asBoolean()).as(bad.toString()).isTrue();
        JsonNode invalid = e.await(n -> validationFailed(n, "res", "guest g10 is not defined"), T);
        assertThat(invalid).isNotNull();
        assertThat(libvirtd.virsh("domstate", "g9").trim())
            .as("UNKNOWN never cleans: g9 keeps running")
            .isEqualTo("running");
        long invalidSeq =
            e.call("status", T, "resource", "res").path("status").path("seq").asLong();
        e.call("modify", T, "resource", "res", "attributes", Map.of("GuestName", "g9"));
        assertThat(e.awaitEvent("res", "ONLINE", invalidSeq, T)).as("valid again").isNotNull();
      }
    }
  }

  @Test
  void rhevHighAvailabilityOnHoldsTheResourceUntilItIsTurnedOff() throws Exception {
    try (RhevmSimulator sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw")) {
      sim.model.stepMillis = 50;
      sim.model.addCluster("prod");
      sim.model.addHost("hv1", "prod");
      sim.model.addVm("erp", "prod").haEnabled = true;
      Path key = dir.resolve("havirt.key");
      String password = PasswordCipher.openOrCreate(key).encrypt("pw");
      Path main = dir.resolve("main.cf");
      Files.writeString(
          main,
          "system n1 ( PhysicalServer = hv1 )\ngroup g ( SystemList = { n1 = 0 } )\n"
              + "KVMGuest erp_vm ( GuestName = erp\n  MonitorInterval = 3600\n"
              + "  OfflineMonitorInterval = 3600\n"
              + "  RHEVMInfo = { Enabled = 1, URL = \""
              + sim.url()
              + "\", User = \"admin@internal\", Password = "
              + password
              + ", Cluster = prod, CAFile = \""
              + sim.caPem()
              + "\" } )\n");
      Path socket = dir.resolve("agent.sock");
      Map<String, String> node =
          Map.of("key.file", key.toString(), "state.dir", dir.resolve("state").toString());
      try (AgentDaemon daemon = TestDaemons.start(main, "n1", socket, TestDaemons.me(), node);
          EngineClient e = new EngineClient(socket)) {
        assertThat(daemon.managed()).isEqualTo(1);
        e.call("subscribe", T);
        assertThat(
                e.await(
                    n ->
                        validationFailed(
                            n, "erp_vm", "RHEV's own high availability is enabled for VM erp"),
                    T))
            .isNotNull();
        assertThat(e.call("online", T, "resource", "erp_vm").path("error").path("code").asText())
            .isEqualTo("invalid");
        synchronized (sim.model) {
          sim.model.vmByName("erp").orElseThrow().haEnabled = false;
        }
        JsonNode probe = e.call("monitor", T, "resource", "erp_vm");
        assertThat(probe.path("status").path("state").asText()).isEqualTo("OFFLINE");
      }
    }
  }
}
