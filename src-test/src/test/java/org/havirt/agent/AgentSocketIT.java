package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent daemon end to end: its real socket, the real KVM backend, a private libvirtd. */
class AgentSocketIT {
  static final Duration T = Duration.ofSeconds(20);
  @TempDir Path dir;
  PrivateLibvirtd libvirtd;
  AgentDaemon daemon;
  Path socket;
  Path main;

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    libvirtd = PrivateLibvirtd.testDriver(dir.resolve("tdrv"));
    Path sync = Files.createDirectories(dir.resolve("sync"));
    for (String g : List.of("g1", "g2", "g3")) {
      Files.writeString(
          sync.resolve(g + ".xml"),
          "<domain type='test'><name>"
              + g
              + "</name><memory unit='MiB'>128</memory>"
              + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>");
    }
    main = dir.resolve("main.cf");
    Files.writeString(
        main,
        String.join(
            "\n",
            "system n1 ( Site = east )",
            "system n2 ( Site = east )",
            "system n3 ( Site = west )",
            "group g ( SystemList = { n1 = 0, n2 = 1, n3 = 2 } )",
            "KVMGuest r1 ( GuestName = g1",
            "  SyncDir = \"" + sync + "\"",
            "  DelayAfterGuestOnline = 0",
            "  MonitorInterval = 3600 )",
            "KVMGuest r2 ( GuestName = g2",
            "  SyncDir = \"" + sync + "\"",
            "  DelayAfterGuestOnline = 0",
            "  MonitorInterval = 3600 )",
            "group other ( SystemList = { n2 = 0 } )",
            "KVMGuest notmine ( GuestName = g3 )",
            ""));
    socket = dir.resolve("run/agent.sock");
    daemon = startDaemon(Set.of(System.getProperty("user.name")));
  }

  AgentDaemon startDaemon(Set<String> allowed) throws IOException {
    return startDaemon(allowed, 64);
  }

  AgentDaemon startDaemon(Set<String> allowed, int maxConnections) throws IOException {
    Map<String, String> node =
        Map.of(
            "libvirt.uri", libvirtd.uri(),
            "state.dir", dir.resolve("state").toString(),
            // Peers have no daemon here: the split-brain check finds them unreachable, quickly.
            "migrate.uri", "test+unix:///default?socket=" + dir.resolve("peers/%h/sock"));
    return TestDaemons.start(main, "n1", socket, allowed, node, maxConnections);
  }

  @AfterEach
  void tearDown() throws IOException {
    if (daemon != null) {
      daemon.close();
    }
    if (libvirtd != null) {
      libvirtd.close();
    }
  }

  @Test
  void helloStatusAndEveryEntryPoint() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      JsonNode hello = e.call("hello", T, "versions", List.of(1));
      assertThat(hello.path("ok").asBoolean()).isTrue();
      assertThat(hello.path("protocol").asInt()).isEqualTo(1);
      assertThat(hello.path("types").toString()).contains("KVMGuest");
      assertThat(e.call("hello", T, "versions", List.of(7)).path("error").path("code").asText())
          .isEqualTo("unsupported_version");

      JsonNode status = e.call("status", T);
      assertThat(status.path("resources").findValuesAsText("name")).containsExactly("r1", "r2");

      JsonNode online = e.call("online", T, "resource", "r1");
      assertThat(online.path("exec").asText()).isEqualTo("done");
      assertThat(online.path("status").path("state").asText()).isEqualTo("ONLINE");
      assertThat(online.path("status").path("confidence").asInt()).isEqualTo(100);
      assertThat(libvirtd.virsh("domstate", "g1").trim()).isEqualTo("running");

      JsonNode action = e.call("action", T, "resource", "r1", "name", "vmconfigsync");
      assertThat(action.path("output").asText()).contains("sync/g1.xml");

      JsonNode monitor = e.call("monitor", T, "resource", "r1");
      assertThat(monitor.path("status").path("reason").asText())
          .isEqualTo("libvirt: running (booted)");

      JsonNode offline = e.call("offline", T, "resource", "r1");
      assertThat(offline.path("exec").asText()).isEqualTo("done");
      assertThat(offline.path("status").path("state").asText()).isEqualTo("OFFLINE");

      e.call("online", T, "resource", "r2");
      JsonNode clean = e.call("clean", T, "resource", "r2", "reason", 4);
      assertThat(clean.path("exec").asText()).isEqualTo("done");
      assertThat(clean.path("reason").asText()).contains("(unexpected offline)");
    }
  }

  @Test
  void anOutOfBandDestroyReachesASubscriberAsAnEvent() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      e.call("online", T, "resource", "r2");
      JsonNode sub = e.call("subscribe", T);
      assertThat(sub.path("subscribed").asBoolean()).isTrue();
      assertThat(e.await(n -> n.has("snapshot") && n.path("resource").asText().equals("r2"), T))
          .as("snapshot of r2")
          .isNotNull();
      long t0 = System.nanoTime();
      libvirtd.virsh("destroy", "g2");
      JsonNode ev = e.awaitEvent("r2", "OFFLINE", T);
      assertThat(ev).as("OFFLINE event for r2").isNotNull();
      assertThat(ev.path("reason").asText()).isEqualTo("libvirt: shut off (destroyed)");
      // MonitorInterval is an hour: only the libvirt event can have triggered this monitor.
      System.out.printf("virsh destroy to engine event: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
      JsonNode faulted =
          e.await(n -> n.has("event") && n.path("flag").asText().equals("FAULTED"), T);
      assertThat(faulted).as("RestartLimit 0: FAULTED after the clean").isNotNull();
      assertThat(faulted.path("seq").asLong()).isGreaterThan(ev.path("seq").asLong());
    }
  }

  @Test
  void badInputGetsAnErrorAndTheConnectionGoesOn() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      e.sendRaw("{not json\n");
      assertThat(e.await(n -> n.path("error").path("code").asText().equals("bad_json"), T))
          .isNotNull();
      e.sendRaw("[1,2]\n");
      assertThat(e.await(n -> n.path("error").path("code").asText().equals("bad_request"), T))
          .isNotNull();
      e.sendRaw("{\"op\":\"status\"}\n");
      assertThat(e.await(n -> n.path("error").path("message").asText().contains("\"id\""), T))
          .isNotNull();
      assertThat(e.call("teleport", T).path("error").path("code").asText()).isEqualTo("unknown_op");
      assertThat(e.call("online", T).path("error").path("message").asText())
          .contains("\"resource\"");
      assertThat(e.call("online", T, "resource", "ghost").path("error").path("code").asText())
          .isEqualTo("no_such_resource");
      assertThat(e.call("online", T, "resource", "notmine").path("error").path("code").asText())
          .as("a resource this system does not run")
          .isEqualTo("no_such_resource");
      assertThat(
              e.call("clean", T, "resource", "r1", "reason", 9).path("error").path("code").asText())
          .isEqualTo("bad_request");
      e.sendRaw("{\"id\":1,\"op\":\"status\",\"pad\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}\n");
      assertThat(e.await(n -> n.path("error").path("code").asText().equals("too_large"), T))
          .isNotNull();
      assertThat(e.call("status", T).path("ok").asBoolean()).as("still serving").isTrue();
    }
  }

  @Test
  void migrationsAreRefusedOutsideTheSystemListAndAcrossSites() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      JsonNode outside = e.call("migrate", T, "resource", "r1", "target", "n9");
      assertThat(outside.path("error").path("code").asText()).isEqualTo("refused");
      assertThat(outside.path("error").path("message").asText()).contains("not in the SystemList");
      JsonNode site = e.call("migrate", T, "resource", "r1", "target", "n3");
      assertThat(site.path("error").path("message").asText()).contains("across sites");
    }
  }

  @Test
  void halfClosedAndAbruptlyClosedConnectionsDoNotDisturbOthers() throws Exception {
    try (EngineClient half = new EngineClient(socket)) {
      half.sendRaw("{\"id\":5,\"op\":\"online\",\"resource\":\"r1\"}\n");
      half.shutdownOutput();
      JsonNode reply = half.await(n -> n.path("id").asInt() == 5, T);
      assertThat(reply).as("the reply owed after a half-close").isNotNull();
      assertThat(reply.path("status").path("state").asText()).isEqualTo("ONLINE");
    }
    EngineClient abrupt = new EngineClient(socket);
    abrupt.sendRaw("{\"id\":1,\"op\":\"offline\",\"resource\":\"r1\"}\n{\"id\":2,\"op\":\"sta");
    abrupt.close();
    try (EngineClient e = new EngineClient(socket)) {
      assertThat(e.call("status", T).path("ok").asBoolean()).isTrue();
      JsonNode mon = e.call("monitor", T, "resource", "r1");
      assertThat(mon.path("ok").asBoolean()).isTrue();
    }
  }

  @Test
  void aSubscriberThatNeverReadsNeverStallsMonitoringOrOtherClients() throws Exception {
    try (SocketChannel deaf = SocketChannel.open(StandardProtocolFamily.UNIX);
        EngineClient e = new EngineClient(socket)) {
      deaf.connect(UnixDomainSocketAddress.of(socket));
      deaf.write(
          ByteBuffer.wrap("{\"id\":1,\"op\":\"subscribe\"}\n".getBytes(StandardCharsets.UTF_8)));
      assertThat(e.call("subscribe", T).path("ok").asBoolean()).isTrue();
      for (int i = 0; i < 300; i++) {
        e.sendRaw(
            "{\"id\":"
                + (1000 + i)
                + ",\"op\":\"add\",\"resource\":\"x"
                + i
                + "\",\"attributes\":{\"GuestName\":\"nosuch"
                + i
                + "\"}}\n");
      }
      assertThat(e.await(n -> n.path("id").asInt() == 1299, Duration.ofSeconds(60)))
          .as("last add answered")
          .isNotNull();
      // No such guest anywhere: the validation at open holds each resource UNKNOWN.
      assertThat(
              e.await(
                  n ->
                      n.has("event")
                          && n.path("resource").asText().equals("x299")
                          && n.path("reason")
                              .asText()
                              .startsWith("validation failed: guest nosuch299"),
                  T))
          .as("the reading subscriber got its events")
          .isNotNull();
      long onlineSeq = e.call("online", T, "resource", "r1").path("status").path("seq").asLong();
      libvirtd.virsh("destroy", "g1");
      assertThat(e.awaitEvent("r1", "OFFLINE", onlineSeq, T)).as("detection goes on").isNotNull();
    }
  }

  @Test
  void addModifyAndDeleteAtRunTime() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      JsonNode add =
          e.call(
              "add",
              T,
              "resource",
              "r9",
              "attributes",
              Map.of(
                  "GuestName",
                  "g3",
                  "SyncDir",
                  dir.resolve("sync").toString(),
                  "DelayAfterGuestOnline",
                  0));
      assertThat(add.path("ok").asBoolean()).as(add.toString()).isTrue();
      assertThat(e.call("online", T, "resource", "r9").path("status").path("state").asText())
          .isEqualTo("ONLINE");
      JsonNode bad =
          e.call("add", T, "resource", "r10", "attributes", Map.of("GuestName", "x", "Bogus", 1));
      assertThat(bad.path("error").path("message").asText())
          .isEqualTo("KVMGuest has no attribute 'Bogus'");
      assertThat(
              e.call("add", T, "resource", "r11", "attributes", Map.of("SyncDir", "/x"))
                  .path("error")
                  .path("message")
                  .asText())
          .isEqualTo("a KVMGuest needs GuestName");
      assertThat(
              e.call("add", T, "resource", "r9", "attributes", Map.of("GuestName", "g3"))
                  .path("error")
                  .path("code")
                  .asText())
          .isEqualTo("exists");
      JsonNode mod =
          e.call("modify", T, "resource", "r9", "attributes", Map.of("MonitorInterval", 30));
      assertThat(mod.path("ok").asBoolean()).isTrue();
      assertThat(
              e.call("modify", T, "resource", "r9", "attributes", Map.of("RHEVMInfo", "flat"))
                  .path("error")
                  .path("code")
                  .asText())
          .isEqualTo("bad_request");
      assertThat(e.call("delete", T, "resource", "r9").path("ok").asBoolean()).isTrue();
      JsonNode after = e.call("status", T, "resource", "r9");
      assertThat(after.path("error").path("code").asText()).isEqualTo("no_such_resource");
      assertThat(libvirtd.virsh("domstate", "g3").trim())
          .as("delete leaves the VM alone")
          .isEqualTo("running");
    }
  }

  @Test
  void aRestartOfTheDaemonWithGuestsRunningChangesNothing() throws Exception {
    try (EngineClient e = new EngineClient(socket)) {
      e.call("online", T, "resource", "r1");
      e.call("online", T, "resource", "r2");
    }
    String ids = libvirtd.virsh("domid", "g1") + libvirtd.virsh("domid", "g2");
    daemon.close();
    daemon = startDaemon(Set.of(System.getProperty("user.name")));
    try (EngineClient e = new EngineClient(socket)) {
      JsonNode r1 = e.call("monitor", T, "resource", "r1");
      JsonNode r2 = e.call("monitor", T, "resource", "r2");
      assertThat(r1.path("status").path("state").asText()).isEqualTo("ONLINE");
      assertThat(r2.path("status").path("state").asText()).isEqualTo("ONLINE");
      assertThat(r1.path("status").path("expected").asText()).as("adopted").isEqualTo("online");
    }
    assertThat(libvirtd.virsh("domid", "g1") + libvirtd.virsh("domid", "g2"))
        .as("same domains, never restarted")
        .isEqualTo(ids);
  }

  @Test
  void aPeerWhoseUserIsNotAllowedIsRefused() throws Exception {
    daemon.close();
    daemon = startDaemon(Set.of("nobody-else"));
    try (EngineClient e = new EngineClient(socket)) {
      JsonNode r = e.await(n -> n.path("error").path("code").asText().equals("forbidden"), T);
      assertThat(r).isNotNull();
      assertThat(r.path("error").path("message").asText())
          .contains("may not use this agent's socket");
    }
    assertThat(Files.getPosixFilePermissions(socket))
        .extracting(Object::toString)
        .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE", "GROUP_READ", "GROUP_WRITE");
  }

  @Test
  void theDaemonServesAtMostMaxConnectionsAndRefusesTheNextWithBusy() throws Exception {
    daemon.close();
    daemon = startDaemon(Set.of(System.getProperty("user.name")), 2);
    try (EngineClient a = new EngineClient(socket);
        EngineClient b = new EngineClient(socket)) {
      assertThat(a.call("status", T).path("ok").asBoolean()).isTrue();
      assertThat(b.call("status", T).path("ok").asBoolean()).isTrue();
      try (EngineClient c = new EngineClient(socket)) {
        JsonNode r = c.await(n -> n.path("error").path("code").asText().equals("busy"), T);
        assertThat(r).as("the third connection is refused").isNotNull();
        assertThat(r.path("error").path("message").asText()).contains("2 connections");
      }
      assertThat(a.call("monitor", T, "resource", "r1").path("ok").asBoolean())
          .as("the two go on")
          .isTrue();
    }
    // Both left: places are free again (polled, with a deadline, as the agent sees them go).
    long until = System.nanoTime() + T.toNanos();
    JsonNode ok = null;
    while (System.nanoTime() < until && (ok == null || !ok.path("ok").asBoolean())) {
      try (EngineClient e = new EngineClient(socket)) {
        e.sendRaw("{\"id\":1,\"op\":\"status\"}\n");
        ok = e.await(n -> n.has("ok"), T); // the reply, or busy while a place is not free yet
      } catch (IOException e) {
        ok = null; // refused and closed while sending: try again
      }
    }
    assertThat(ok).isNotNull();
    assertThat(ok.path("ok").asBoolean()).as("%s", ok).isTrue();
  }
}
