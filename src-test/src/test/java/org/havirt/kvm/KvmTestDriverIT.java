package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
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
import org.havirt.types.CleanReason;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.state.VmState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KVM backend and the KVMGuest entry points against a real libvirtd serving the test driver.
 */
class KvmTestDriverIT {
  @TempDir static Path root;
  static PrivateLibvirtd daemon;
  @TempDir Path work;
  LibvirtBackend backend;
  ResourceAgent agent;
  EventRecorder events;
  Path state;

  @BeforeAll
  static void startDaemon() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    daemon = PrivateLibvirtd.testDriver(root.resolve("tdrv"));
  }

  @AfterAll
  static void stopDaemon() throws IOException {
    if (daemon != null) {
      daemon.close();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    state = work.resolve("state");
    backend = new LibvirtBackend(settings(daemon.uri(), "unused://%h"), Ticker.SYSTEM);
    events = new EventRecorder();
    backend.subscribe(events);
    backend.connect(Deadline.in(Duration.ofSeconds(10)));
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
  }

  KvmSettings settings(String uri, String migrateTemplate) {
    return new KvmSettings(uri, state, migrateTemplate, Optional.empty(), 8, Duration.ofSeconds(3));
  }

  @AfterEach
  void tearDown() throws Exception {
    backend.close();
    // Leave the shared daemon with only its built-in "test" domain.
    for (String name : daemon.virsh("list", "--all", "--name").split("\n")) {
      String n = name.trim();
      if (!n.isEmpty() && !n.equals("test")) {
        try {
          daemon.virsh("destroy", n);
        } catch (IllegalStateException notRunning) {
          // fine
        }
        try {
          daemon.virsh("managedsave-remove", n);
        } catch (IllegalStateException none) {
          // fine
        }
        daemon.virsh("undefine", n);
      }
    }
  }

  private Path xmlFile(String name, String xml) throws IOException {
    Path p = work.resolve(name + ".xml");
    Files.writeString(p, xml);
    return p;
  }

  private void define(String name) throws Exception {
    daemon.virsh("define", xmlFile(name, Guests.testXml(name)).toString());
  }

  private MonitorResult monitor(GuestSpec g) {
    return agent.monitor(g).state().orElseThrow();
  }

  @Test
  void everyReachableStateAndReasonMapsAsTheTableSays() throws Exception {
    GuestSpec g = Guests.spec("st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: not defined on this host"));
    define("st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: shut off (unknown)"));
    daemon.virsh("start", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "libvirt: running (booted)"));
    daemon.virsh("suspend", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(20, "libvirt: paused (user)"));
    daemon.virsh("resume", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "libvirt: running (unpaused)"));
    daemon.virsh("managedsave", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.intentionalOffline("libvirt: shut off (saved)"));
    daemon.virsh("start", "st1");
    daemon.virsh("save", "st1", work.resolve("st1.save").toString());
    assertThat(monitor(g).state()).isEqualTo(ResourceState.INTENTIONAL_OFFLINE);
    daemon.virsh("restore", work.resolve("st1.save").toString());
    assertThat(monitor(g)).isEqualTo(MonitorResult.online(100, "libvirt: running (restored)"));
    daemon.virsh("shutdown", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: shut off (shutdown)"));
    daemon.virsh("start", "st1");
    daemon.virsh("destroy", "st1");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: shut off (destroyed)"));
  }

  @Test
  void onlineOfflineCleanAreIdempotent() throws Exception {
    define("idem");
    GuestSpec g = Guests.spec("idem", "DelayAfterGuestOnline", "7");
    EntryResult first = agent.online(g);
    assertThat(first.exec()).isEqualTo(ExecStatus.DONE);
    assertThat(first.waitSeconds()).isEqualTo(7);
    assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(daemon.virsh("domstate", "idem", "--reason").trim()).isEqualTo("running (booted)");
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(daemon.virsh("domstate", "idem").trim()).isEqualTo("shut off");
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    // A definition the agent did not make is never undefined.
    assertThat(daemon.virsh("list", "--all", "--name")).contains("idem");
    assertThat(agent.clean(Guests.spec("never-defined"), CleanReason.MONITOR_HUNG).exec())
        .isEqualTo(ExecStatus.DONE);
  }

  @Test
  void onlineDefinesFromTheFileAndOfflineUndefinesOnlyWhatItDefined() throws Exception {
    Path xml = xmlFile("fromfile", Guests.testXml("fromfile"));
    Path sync = Files.createDirectories(work.resolve("sync"));
    GuestSpec g =
        Guests.spec("fromfile", "GuestConfigFilePath", xml.toString(), "SyncDir", sync.toString());
    assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(monitor(g).state()).isEqualTo(ResourceState.ONLINE);
    assertThat(state.resolve("defined/fromfile")).exists();
    assertThat(agent.offline(g).exec()).isEqualTo(ExecStatus.DONE);
    // Written back before the agent's own definition was removed: nothing is lost.
    assertThat(sync.resolve("fromfile.xml")).content().contains("<name>fromfile</name>");
    assertThat(daemon.virsh("list", "--all", "--name")).doesNotContain("fromfile");
    assertThat(state.resolve("defined/fromfile")).doesNotExist();
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: not defined on this host"));
  }

  @Test
  void syncDirRoundTripCarriesAConfigChangeToTheNextStart() throws Exception {
    Path sync = Files.createDirectories(work.resolve("sync"));
    Files.writeString(sync.resolve("rt.xml"), Guests.testXml("rt"));
    GuestSpec g = Guests.spec("rt", "SyncDir", sync.toString());
    assertThat(agent.online(g).exec()).as("defines from SyncDir").isEqualTo(ExecStatus.DONE);
    // An administrator changes the persistent config while it runs: 4 vCPUs from the next boot.
    String changed =
        daemon
            .virsh("dumpxml", "--inactive", "rt")
            .replace("<vcpu placement='static'>1</vcpu>", "<vcpu placement='static'>4</vcpu>");
    daemon.virsh("define", xmlFile("rt-changed", changed).toString());
    assertThat(agent.clean(g, CleanReason.UNEXPECTED_OFFLINE).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(daemon.virsh("list", "--all", "--name")).doesNotContain("rt");
    assertThat(sync.resolve("rt.xml")).content().contains(">4</vcpu>");
    assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
    assertThat(daemon.virsh("vcpucount", "rt", "--config", "--maximum").trim()).isEqualTo("4");
  }

  @Test
  void resyncWritesConfigChangesOfARunningGuestAsTheyHappen() throws Exception {
    Path sync = Files.createDirectories(work.resolve("sync"));
    define("rs");
    GuestSpec g = Guests.spec("rs", "SyncDir", sync.toString(), "ResyncVMCfg", "1");
    agent.online(g);
    assertThat(monitor(g).state()).isEqualTo(ResourceState.ONLINE);
    assertThat(sync.resolve("rs.xml")).content().contains(">1</vcpu>");
    String changed = daemon.virsh("dumpxml", "--inactive", "rs").replace(">1</vcpu>", ">3</vcpu>");
    daemon.virsh("define", xmlFile("rs-changed", changed).toString());
    assertThat(events.await("rs", "DEFINED", Duration.ofSeconds(10)))
        .as("DEFINED event")
        .isNotNull();
    monitor(g);
    assertThat(sync.resolve("rs.xml")).content().contains(">3</vcpu>");
  }

  @Test
  void badGuestNameAndBadFilesGiveClearErrorsAndStartNothing() throws Exception {
    EntryResult unknown = agent.online(Guests.spec("nosuch"));
    assertThat(unknown.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(unknown.reason())
        .contains("not defined on this host")
        .contains("GuestConfigFilePath");

    EntryResult missing =
        agent.online(
            Guests.spec("nofile", "GuestConfigFilePath", work.resolve("absent.xml").toString()));
    assertThat(missing.reason()).contains("absent.xml does not exist");

    Path garbage = xmlFile("garbage", "<domain><name>garbage</name");
    EntryResult invalid =
        agent.online(Guests.spec("garbage", "GuestConfigFilePath", garbage.toString()));
    assertThat(invalid.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(invalid.reason()).contains("is not a valid domain XML");

    Path other = xmlFile("other", Guests.testXml("someone-else"));
    EntryResult mismatch =
        agent.online(Guests.spec("mine", "GuestConfigFilePath", other.toString()));
    assertThat(mismatch.reason()).contains("defines domain 'someone-else', not GuestName 'mine'");

    assertThat(daemon.virsh("list", "--all", "--name").trim()).isEqualTo("test");
  }

  @Test
  void anOutOfBandDestroyArrivesAsAnEventWithinMilliseconds() throws Exception {
    define("ev");
    GuestSpec g = Guests.spec("ev");
    agent.online(g);
    events.clear();
    long before = System.nanoTime();
    daemon.virsh("destroy", "ev");
    EventRecorder.Event e = events.await("ev", "STOPPED", Duration.ofSeconds(10));
    assertThat(e).as("STOPPED event").isNotNull();
    assertThat(e.detail()).contains("DESTROYED");
    assertThat(monitor(g)).isEqualTo(MonitorResult.offline("libvirt: shut off (destroyed)"));
    // Reported for the record, not asserted: speed is for the benchmarks.
    System.out.printf(
        "event after virsh destroy returned: %.1f ms after it started%n",
        (e.atNanos() - before) / 1e6);
  }

  @Test
  void theSplitBrainGuardRefusesAGuestRunningOnAPeer() throws Exception {
    try (PrivateLibvirtd peer = PrivateLibvirtd.testDriver(work.resolve("peer"))) {
      peer.virsh("define", xmlFile("sb", Guests.testXml("sb")).toString());
      peer.virsh("start", "sb");
      define("sb");
      String template = "test+unix:///default?socket=" + work.resolve("%h/run/libvirt-sock");
      backend.close();
      backend = new LibvirtBackend(settings(daemon.uri(), template), Ticker.SYSTEM);
      agent = new ResourceAgent(backend, Ticker.SYSTEM);
      GuestSpec g = Guests.specWithPeers("sb", List.of("peer", "gone"));
      EntryResult r = agent.online(g);
      assertThat(r.exec()).isEqualTo(ExecStatus.FAILED);
      assertThat(r.reason())
          .contains("guest sb is running (booted) on peer peer; refusing to start a second copy");
      assertThat(daemon.virsh("domstate", "sb").trim()).isEqualTo("shut off");
      // Once the peer has stopped it, the start goes ahead (the unreachable peer 'gone' is presumed
      // down).
      peer.virsh("destroy", "sb");
      assertThat(agent.online(g).exec()).isEqualTo(ExecStatus.DONE);
      assertThat(daemon.virsh("domstate", "sb").trim()).isEqualTo("running");
    }
  }

  @Test
  void actions() throws Exception {
    Path disk = Files.writeString(work.resolve("disk.img"), "x");
    Path sync = Files.createDirectories(work.resolve("sync"));
    daemon.virsh(
        "define", xmlFile("act", Guests.testXmlWithDisk("act", disk.toString())).toString());
    GuestSpec g = Guests.spec("act", "SyncDir", sync.toString());
    agent.online(g);
    EntryResult scan = agent.action(g, "DevScan", List.of());
    assertThat(scan.exec()).isEqualTo(ExecStatus.DONE);
    assertThat(scan.output()).isEqualTo("disk vda: " + disk + " OK");
    Files.delete(disk);
    EntryResult missing = agent.action(g, "DevScan", List.of());
    assertThat(missing.exec()).isEqualTo(ExecStatus.FAILED);
    assertThat(missing.output()).isEqualTo("disk vda: " + disk + " MISSING on this host");

    EntryResult sync1 = agent.action(g, "vmconfigsync", List.of());
    assertThat(sync1.output()).isEqualTo("configuration written to " + sync.resolve("act.xml"));
    assertThat(agent.action(g, "vmconfigsync", List.of()).output())
        .isEqualTo("configuration already up to date");

    assertThat(agent.action(g, "guestmigrated", List.of()).output())
        .isEqualTo("guest act runs on this host (running (booted))");
    assertThat(agent.action(g, "reboot", List.of()).exec()).isEqualTo(ExecStatus.UNSUPPORTED);
  }

  @Test
  void aHungLibvirtdTimesCallsOutAndAKilledOneIsUnknown() throws Exception {
    try (PrivateLibvirtd own = PrivateLibvirtd.testDriver(work.resolve("own"))) {
      own.virsh("define", xmlFile("h", Guests.testXml("h")).toString());
      own.virsh("start", "h");
      LibvirtBackend b = new LibvirtBackend(settings(own.uri(), "unused://%h"), Ticker.SYSTEM);
      try {
        GuestSpec g = Guests.spec("h");
        assertThat(b.inspect(g, Deadline.in(Duration.ofSeconds(5))).state())
            .isEqualTo(VmState.RUNNING);
        long pid = Long.parseLong(Files.readString(own.dir().resolve("libvirtd.pid")).trim());
        PrivateLibvirtd.run(List.of("kill", "-STOP", Long.toString(pid)), Duration.ofSeconds(5));
        try {
          long t0 = System.nanoTime();
          assertThatThrownBy(() -> b.inspect(g, Deadline.in(Duration.ofMillis(500))))
              .isInstanceOfSatisfying(
                  BackendException.class,
                  e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.TIMED_OUT));
          assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
          // Through the entry point: UNKNOWN, never OFFLINE.
          ResourceAgent a = new ResourceAgent(b, Ticker.SYSTEM);
          EntryResult r = a.monitor(Guests.spec("h", "MonitorTimeout", "1"));
          assertThat(r.state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
        } finally {
          PrivateLibvirtd.run(List.of("kill", "-CONT", Long.toString(pid)), Duration.ofSeconds(5));
        }
        own.kill();
        EntryResult dead =
            new ResourceAgent(b, Ticker.SYSTEM).monitor(Guests.spec("h", "MonitorTimeout", "5"));
        assertThat(dead.state().orElseThrow().state()).isEqualTo(ResourceState.UNKNOWN);
        assertThat(dead.reason()).startsWith("libvirt: ");
      } finally {
        b.close();
      }
    }
  }
}
