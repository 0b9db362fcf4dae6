package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.ThrottledRelay;
import org.havirt.types.CleanReason;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real QEMU (TCG) guests under two private libvirtd instances ("qa" and "qb", both on this
 * machine): crash detection through events, a libvirtd restart, and live migration by the agent and
 * behind its back.
 */
class KvmQemuIT {
  @TempDir static Path root;
  static PrivateLibvirtd qa;
  static PrivateLibvirtd qb;
  LibvirtBackend backendA;
  LibvirtBackend backendB;
  ResourceAgent agentA;
  ResourceAgent agentB;
  EventRecorder eventsA;

  @BeforeAll
  static void startDaemons() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    qa = PrivateLibvirtd.qemu(root.resolve("qa"), "0a0a0a0a-0000-4000-8000-00000000000a");
    qb = PrivateLibvirtd.qemu(root.resolve("qb"), "0b0b0b0b-0000-4000-8000-00000000000b");
  }

  @AfterAll
  static void stopDaemons() throws IOException {
    if (qa != null) {
      qa.close();
    }
    if (qb != null) {
      qb.close();
    }
  }

  static KvmSettings settings(PrivateLibvirtd d) {
    // %h is the daemon's directory name: the "hypervisor host" of these tests.
    String template = "qemu+unix:///system?socket=" + root.resolve("%h/sock/libvirt-sock");
    return new KvmSettings(
        d.uri(),
        d.dir().resolve("havirt-state"),
        template,
        Optional.of("tcp://127.0.0.1"),
        8,
        Duration.ofSeconds(3));
  }

  @BeforeEach
  void setUp() throws Exception {
    backendA = new LibvirtBackend(settings(qa), Ticker.SYSTEM);
    backendB = new LibvirtBackend(settings(qb), Ticker.SYSTEM);
    eventsA = new EventRecorder();
    backendA.subscribe(eventsA);
    backendA.connect(Deadline.in(Duration.ofSeconds(10)));
    agentA = new ResourceAgent(backendA, Ticker.SYSTEM);
    agentB = new ResourceAgent(backendB, Ticker.SYSTEM);
  }

  @AfterEach
  void tearDown() throws Exception {
    backendA.close();
    backendB.close();
    for (PrivateLibvirtd d : List.of(qa, qb)) {
      for (String name : d.virsh("list", "--all", "--name").split("\n")) {
        if (!name.isBlank()) {
          PrivateLibvirtd.run(
              List.of("virsh", "-q", "-c", d.uri(), "destroy", name.trim()),
              Duration.ofSeconds(20));
          d.virsh("undefine", name.trim());
        }
      }
    }
  }

  private void defineAndStart(PrivateLibvirtd d, String name) throws Exception {
    Path xml = d.dir().resolve(name + ".xml");
    Files.writeString(xml, Guests.qemuXml(name));
    d.virsh("define", xml.toString());
    d.virsh("start", name);
  }

  private static MonitorResult monitor(ResourceAgent a, GuestSpec g) {
    return a.monitor(g).state().orElseThrow();
  }

  /**
   * Polls the monitor until {@code wanted} (the agent would be woken by an event or its interval).
   */
  private static MonitorResult awaitState(
      ResourceAgent a, GuestSpec g, ResourceState wanted, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    MonitorResult r = monitor(a, g);
    while (r.state() != wanted && System.nanoTime() < deadline) {
      Thread.sleep(100); // polling a daemon that is restarting; no event exists for "it is back"
      r = monitor(a, g);
    }
    return r;
  }

  @Test
  void killingQemuIsSeenAsOfflineCrashedThroughAnEvent() throws Exception {
    GuestSpec g = Guests.spec("crashy");
    Path xml = qa.dir().resolve("crashy.xml");
    Files.writeString(xml, Guests.qemuXml("crashy"));
    assertThat(agentA.online(Guests.spec("crashy", "GuestConfigFilePath", xml.toString())).exec())
        .isEqualTo(ExecStatus.DONE);
    assertThat(monitor(agentA, g))
        .isEqualTo(MonitorResult.online(100, "libvirt: running (booted)"));
    eventsA.clear();
    long pid = qa.qemuPid("crashy");
    long t0 = System.nanoTime();
    PrivateLibvirtd.run(List.of("kill", "-9", Long.toString(pid)), Duration.ofSeconds(5));
    EventRecorder.Event e = eventsA.await("crashy", "STOPPED", Duration.ofSeconds(15));
    assertThat(e).as("STOPPED event after kill -9").isNotNull();
    assertThat(monitor(agentA, g)).isEqualTo(MonitorResult.offline("libvirt: shut off (crashed)"));
    System.out.printf(
        "kill -9 to STOPPED event: %.1f ms (%s)%n", (e.atNanos() - t0) / 1e6, e.detail());
  }

  /**
   * Under an init that reaps late (here 2 s), libvirtd reports a killed qemu only once its zombie
   * is gone. The agent watches the process itself: the guest is OFFLINE at once, while libvirt
   * still says running, and online starts it again as soon as libvirt has caught up.
   */
  @Test
  void aKilledQemuIsSeenBeforeLibvirtNoticesAndStartsAgain() throws Exception {
    try (PrivateLibvirtd late =
        PrivateLibvirtd.qemu(
            root.resolve("late"),
            "0d0d0d0d-0000-4000-8000-00000000000d",
            null,
            Duration.ofSeconds(2))) {
      LibvirtBackend backend = new LibvirtBackend(settings(late), Ticker.SYSTEM);
      try {
        EventRecorder events = new EventRecorder();
        backend.subscribe(events);
        ResourceAgent agent = new ResourceAgent(backend, Ticker.SYSTEM);
        Path xml = late.dir().resolve("watched.xml");
        Files.writeString(xml, Guests.qemuXml("watched"));
        GuestSpec g = Guests.spec("watched", "GuestConfigFilePath", xml.toString());
        assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
        assertThat(monitor(agent, g).state()).isEqualTo(ResourceState.ONLINE);
        assertThat(backend.verify(g, Deadline.in(Duration.ofSeconds(10))))
            .filteredOn(c -> c.name().equals("qemu-watch"))
            .singleElement()
            .satisfies(c -> assertThat(c.detail()).startsWith("qemu watch on:"));
        long pid = late.qemuPid("watched");
        awaitWatched(backend, "watched", pid);
        events.clear();
        long t0 = System.nanoTime();
        PrivateLibvirtd.run(List.of("kill", "-9", Long.toString(pid)), Duration.ofSeconds(5));
        EventRecorder.Event e = events.await("watched", "qemu process", Duration.ofSeconds(10));
        assertThat(e).as("the watch's own event").isNotNull();
        assertThat(e.detail()).isEqualTo("qemu process " + pid + " exited");
        MonitorResult seen = monitor(agent, g);
        double ms = (System.nanoTime() - t0) / 1e6;
        assertThat(seen)
            .isEqualTo(
                MonitorResult.offline(
                    "libvirt: qemu process " + pid + " exited (libvirt has yet to notice)"));
        // The framework cleans after an unexpected offline. libvirt is still busy with the dead
        // process: the clean waits for it instead of sending a destroy that could land on the
        // guest started next.
        EntryResult cleaned = agent.clean(g, CleanReason.UNEXPECTED_OFFLINE);
        assertThat(cleaned.exec()).as(cleaned.reason()).isEqualTo(ExecStatus.DONE);
        assertThat(events.await("watched", "STOPPED", Duration.ofSeconds(15)))
            .as("libvirt's own event comes after the agent's verdict")
            .isNotNull();
        assertThat(monitor(agent, g))
            .as("then libvirt is the truth again; the clean undefined what the agent defined")
            .isEqualTo(MonitorResult.offline("libvirt: not defined on this host"));
        EntryResult again = agent.online(g);
        assertThat(again.exec()).as(again.reason()).isEqualTo(ExecStatus.DONE);
        assertThat(monitor(agent, g).state()).isEqualTo(ResourceState.ONLINE);
        assertThat(late.qemuPid("watched")).as("a new qemu").isNotEqualTo(pid);
        assertThat(events.await("watched", "STOPPED", Duration.ofSeconds(3)))
            .as("nothing stops the new guest")
            .isNull();
        System.out.printf("kill -9 to OFFLINE with a 2 s late reaper: %.1f ms%n", ms);

        // A paused guest's qemu may exit on purpose (a save, a migration): only libvirt can say.
        assertThat(late.virsh("suspend", "watched")).isNotNull();
        assertThat(events.await("watched", "SUSPENDED", Duration.ofSeconds(10))).isNotNull();
        long paused = late.qemuPid("watched");
        awaitWatched(backend, "watched", paused);
        PrivateLibvirtd.run(List.of("kill", "-9", Long.toString(paused)), Duration.ofSeconds(5));
        assertThat(events.await("watched", "qemu process " + paused, Duration.ofSeconds(10)))
            .isNotNull();
        long until = System.nanoTime() + 15_000_000_000L;
        MonitorResult afterPause = monitor(agent, g);
        while (afterPause.state() != ResourceState.OFFLINE && System.nanoTime() < until) {
          assertThat(afterPause.reason()).doesNotContain("qemu process");
          Thread.sleep(50); // libvirt notices on its own time; polled here as the agent's interval
          afterPause = monitor(agent, g);
        }
        assertThat(afterPause.state()).isEqualTo(ResourceState.OFFLINE);
        assertThat(afterPause.reason()).as("libvirt's verdict").doesNotContain("qemu process");
      } finally {
        backend.close();
        PrivateLibvirtd.run(
            List.of("virsh", "-q", "-c", late.uri(), "destroy", "watched"), Duration.ofSeconds(20));
      }
    }
  }

  /** The watch starts on its own thread after the monitor that saw the guest running. */
  private static void awaitWatched(LibvirtBackend b, String guest, long pid)
      throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (b.watchedQemu(guest).orElse(-1) != pid && System.nanoTime() < deadline) {
      Thread.sleep(10); // no event says "watching now"; this is test-only
    }
    assertThat(b.watchedQemu(guest)).as("qemu watched").hasValue(pid);
  }

  @Test
  void libvirtdKilledAndRestartedGivesUnknownThenTheTrueStateWithoutTouchingTheGuest()
      throws Exception {
    defineAndStart(qa, "survivor");
    GuestSpec g = Guests.spec("survivor", "MonitorTimeout", "3");
    assertThat(monitor(agentA, g).state()).isEqualTo(ResourceState.ONLINE);
    long pid = qa.qemuPid("survivor");
    qa.kill();
    EntryResult down = agentA.monitor(g);
    assertThat(down.state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
    qa.restart();
    MonitorResult back = awaitState(agentA, g, ResourceState.ONLINE, Duration.ofSeconds(30));
    assertThat(back.state()).isEqualTo(ResourceState.ONLINE);
    assertThat(back.confidence()).isEqualTo(100);
    assertThat(qa.qemuPid("survivor"))
        .as("the same qemu process: nothing restarted it")
        .isEqualTo(pid);
  }

  @Test
  void liveMigrationThroughTheMigrateEntryPoint() throws Exception {
    defineAndStart(qa, "mover");
    GuestSpec g = Guests.spec("mover", "MigrateTimeout", "120");
    EntryResult r = agentA.migrate(g, new MigrationTarget("nodeB", "qb"));
    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(monitor(agentA, g))
        .isEqualTo(MonitorResult.intentionalOffline("libvirt: not defined (migrated away)"));
    assertThat(monitor(agentB, g))
        .isEqualTo(MonitorResult.online(100, "libvirt: running (migrated)"));
    assertThat(qb.virsh("list", "--persistent", "--name")).contains("mover");
    assertThat(qa.virsh("list", "--all", "--name")).doesNotContain("mover");
  }

  @Test
  void aMigrationThatOverrunsMigrateTimeoutIsAbortedAndTheGuestStaysHere() throws Exception {
    // The migration stream crosses a 32 KiB/s link: a relay on 127.0.0.3 in front of a target
    // daemon whose qemu accepts migrations only on 127.0.0.2. It cannot finish in 6 s.
    try (PrivateLibvirtd qc =
        PrivateLibvirtd.qemu(
            root.resolve("qc"), "0c0c0c0c-0000-4000-8000-00000000000c", "127.0.0.2")) {
      InetAddress slow = InetAddress.getByName("127.0.0.3");
      InetAddress real = InetAddress.getByName("127.0.0.2");
      int port = ThrottledRelay.freePort(slow, real);
      try (ThrottledRelay relay =
          new ThrottledRelay(
              new InetSocketAddress(slow, port), new InetSocketAddress(real, port), 32 * 1024)) {
        String template = "qemu+unix:///system?socket=" + root.resolve("%h/sock/libvirt-sock");
        LibvirtBackend viaSlowLink =
            new LibvirtBackend(
                new KvmSettings(
                    qa.uri(),
                    qa.dir().resolve("havirt-state"),
                    template,
                    Optional.of("tcp://127.0.0.3:" + relay.port()),
                    8,
                    Duration.ofSeconds(3)),
                Ticker.SYSTEM);
        try {
          defineAndStart(qa, "slow");
          GuestSpec g = Guests.spec("slow", "MigrateTimeout", "6");
          long t0 = System.nanoTime();
          EntryResult r =
              new ResourceAgent(viaSlowLink, Ticker.SYSTEM)
                  .migrate(g, new MigrationTarget("nodeC", "qc"));
          Duration took = Duration.ofNanos(System.nanoTime() - t0);
          assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.TIMED_OUT);
          assertThat(r.reason())
              .contains("did not finish within MigrateTimeout; the job was aborted");
          assertThat(took).as("answered by the deadline").isLessThan(Duration.ofMillis(6500));
          MonitorResult here = awaitState(agentA, g, ResourceState.ONLINE, Duration.ofSeconds(30));
          assertThat(here.state()).isEqualTo(ResourceState.ONLINE);
          long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (qc.virsh("list", "--all", "--name").contains("slow")
              && System.nanoTime() < deadline) {
            Thread.sleep(
                100); // the target tears its half down after the abort; no event reaches us
          }
          assertThat(qc.virsh("list", "--all", "--name")).doesNotContain("slow");
          MonitorResult after = agentA.monitor(g).state().orElseThrow();
          assertThat(after.confidence()).isEqualTo(100);
          // libvirt says "unpaused" or "migration canceled" depending on how far the job got.
          assertThat(after.reason()).startsWith("libvirt: running (");
        } finally {
          viaSlowLink.close();
        }
      }
    }
  }

  @Test
  void aMigrationBehindTheAgentsBackIsClassifiedTheSameWay() throws Exception {
    defineAndStart(qa, "sneaky");
    GuestSpec g = Guests.spec("sneaky");
    assertThat(monitor(agentA, g).state()).isEqualTo(ResourceState.ONLINE);
    long pid = qa.qemuPid("sneaky");
    awaitWatched(backendA, "sneaky", pid);
    eventsA.clear();
    qa.virsh(
        "migrate",
        "--live",
        "--persistent",
        "--undefinesource",
        "sneaky",
        qb.uri(),
        "--migrateuri",
        "tcp://127.0.0.1");
    // The qemu watch must never call this a crash: libvirt pauses the guest before its qemu
    // exits, and the pause reaches the watch first.
    assertThat(eventsA.await("sneaky", "SUSPENDED", Duration.ofSeconds(15)))
        .as("paused before it left")
        .isNotNull();
    assertThat(eventsA.await("sneaky", "qemu process " + pid + " exited", Duration.ofSeconds(15)))
        .as("then its qemu exited")
        .isNotNull();
    assertThat(eventsA.await("sneaky", "STOPPED MIGRATED", Duration.ofSeconds(15)))
        .as("STOPPED MIGRATED event")
        .isNotNull();
    assertThat(monitor(agentA, g))
        .isEqualTo(MonitorResult.intentionalOffline("libvirt: not defined (migrated away)"));
    assertThat(monitor(agentB, g).state()).isEqualTo(ResourceState.ONLINE);

    // Back again, this time keeping the definition on the source: "shut off (migrated)".
    qb.virsh(
        "migrate", "--live", "--persistent", "sneaky", qa.uri(), "--migrateuri", "tcp://127.0.0.1");
    assertThat(monitor(agentA, g))
        .isEqualTo(MonitorResult.online(100, "libvirt: running (migrated)"));
    qa.virsh("migrate", "--live", "sneaky", qb.uri(), "--migrateuri", "tcp://127.0.0.1");
    assertThat(monitor(agentA, g))
        .isEqualTo(MonitorResult.intentionalOffline("libvirt: shut off (migrated)"));
  }
}
