package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.types.CleanReason;
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 point 10: a guest's shared configuration only moves forward. Two nodes, each its own
 * libvirtd (test driver) and its own agent state directory, share one "shared storage" directory
 * holding GuestConfigFilePath and SyncDir.
 */
class KvmConfigForwardIT {
  @TempDir Path work;
  PrivateLibvirtd daemonA;
  PrivateLibvirtd daemonB;
  Path shared;
  GuestSpec guest;
  Runnable detach = () -> {};

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    daemonA = PrivateLibvirtd.testDriver(work.resolve("a"));
    daemonB = PrivateLibvirtd.testDriver(work.resolve("b"));
    shared = Files.createDirectories(work.resolve("shared"));
    Path sync = Files.createDirectories(shared.resolve("sync"));
    Path cfg = shared.resolve("fw.xml");
    Files.writeString(cfg, Guests.testXml("fw"));
    guest = Guests.spec("fw", "GuestConfigFilePath", cfg.toString(), "SyncDir", sync.toString());
  }

  @AfterEach
  void tearDown() throws IOException {
    detach.run();
    if (daemonA != null) {
      daemonA.close();
    }
    if (daemonB != null) {
      daemonB.close();
    }
  }

  /** One node's agent: its own backend on its own daemon, with its own state directory. */
  private final class Node implements AutoCloseable {
    final PrivateLibvirtd daemon;
    final LibvirtBackend backend;
    final ResourceAgent agent;

    Node(PrivateLibvirtd daemon, String stateDir) throws Exception {
      this.daemon = daemon;
      this.backend =
          new LibvirtBackend(
              new KvmSettings(
                  daemon.uri(),
                  work.resolve(stateDir),
                  "unused://%h",
                  Optional.empty(),
                  4,
                  Duration.ofSeconds(3)),
              Ticker.SYSTEM);
      backend.connect(Deadline.in(Duration.ofSeconds(10)));
      this.agent = new ResourceAgent(backend, Ticker.SYSTEM);
    }

    String maxVcpus() throws Exception {
      return daemon.virsh("vcpucount", "fw", "--config", "--maximum").trim();
    }

    void editVcpus(int n) throws Exception {
      String changed =
          daemon
              .virsh("dumpxml", "--inactive", "fw")
              .replaceAll("<vcpu placement='static'>\\d+</vcpu>", "<vcpu>" + n + "</vcpu>");
      Path f = Files.writeString(work.resolve("edit-" + n + ".xml"), changed);
      daemon.virsh("define", f.toString());
    }

    @Override
    public void close() {
      backend.close();
    }
  }

  /** Collects what {@code logger} logs from now on, formatted. */
  private java.util.List<String> logsOf(String logger) {
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
        new ch.qos.logback.core.read.ListAppender<>();
    appender.start();
    var target = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger);
    target.addAppender(appender);
    detach = () -> target.detachAppender(appender);
    return new java.util.AbstractList<>() {
      @Override
      public String get(int i) {
        var e = appender.list.get(i);
        return e.getLevel() + " " + e.getFormattedMessage();
      }

      @Override
      public int size() {
        return appender.list.size();
      }
    };
  }

  private String sharedFile() throws IOException {
    return Files.readString(shared.resolve("fw.xml"));
  }

  private String syncCopy() throws IOException {
    return Files.readString(shared.resolve("sync/fw.xml"));
  }

  /** A runs the guest, then its host "crashes": the guest dies, the agent dies, nothing synced. */
  private void aRunsThenCrashes() throws Exception {
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      assertThat(daemonA.virsh("domstate", "fw").trim()).isEqualTo("running");
    }
    daemonA.virsh("destroy", "fw"); // the definition stays on A, as after a real crash
    Files.writeString(work.resolve("a-old.xml"), daemonA.virsh("dumpxml", "--inactive", "fw"));
  }

  /** B starts it from the shared file, the administrator gives it 4 vCPUs, B takes it offline. */
  private void bRunsEditsAndStops() throws Exception {
    try (Node b = new Node(daemonB, "state-b")) {
      assertThat(b.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      b.editVcpus(4);
      assertThat(b.agent.offline(guest).exec()).isEqualTo(ExecStatus.DONE);
    }
    assertThat(sharedFile()).as("B's offline wrote its edit back").contains(">4</vcpu>");
    assertThat(syncCopy()).contains(">4</vcpu>");
  }

  @Test
  void aNodeThatKeptAnOldDefinitionStartsFromTheNewerSharedFileAndDoesNotUndoIt() throws Exception {
    aRunsThenCrashes();
    bRunsEditsAndStops();

    java.util.List<String> logged = logsOf("org.havirt.backend.kvm.StartDefinition");
    String uuidA = daemonA.virsh("domuuid", "fw").trim();
    assertThat(daemonB.virsh("list", "--all", "--name")).doesNotContain("fw");
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      assertThat(sharedFile()).as("B's UUID").doesNotContain(uuidA);
      assertThat(daemonA.virsh("domuuid", "fw").trim()).as("A's UUID is kept").isEqualTo(uuidA);
      assertThat(logged)
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith(
                          "WARN guest redefined from shared file guest=fw from="
                              + shared.resolve("fw.xml")
                              + " reason=")
                      .contains(" previous=" + work.resolve("state-a/kept")));
      assertThat(a.maxVcpus()).as("A starts B's edit, not its own old definition").isEqualTo("4");
      try (var kept = Files.list(work.resolve("state-a/kept"))) {
        assertThat(kept.toList())
            .as("A's replaced definition is kept")
            .singleElement()
            .satisfies(f -> assertThat(Files.readString(f)).contains(">1</vcpu>"));
      }
      assertThat(a.agent.offline(guest).exec()).isEqualTo(ExecStatus.DONE);
    }
    assertThat(sharedFile()).as("A's offline does not undo B's edit").contains(">4</vcpu>");
    assertThat(syncCopy()).contains(">4</vcpu>");
  }

  @Test
  void aNodeThatDidNotRunTheGuestSinceNeverWritesItsDefinitionBack() throws Exception {
    aRunsThenCrashes();
    bRunsEditsAndStops();
    String before = sharedFile();

    java.util.List<String> logged = logsOf("org.havirt.backend.kvm.internal.GuestFiles");
    try (Node a = new Node(daemonA, "state-a")) {
      // The engine cleans up on A when A comes back; A's old definition is still there, inactive.
      EntryResult clean = a.agent.clean(guest, CleanReason.UNEXPECTED_OFFLINE);
      assertThat(clean.exec()).isEqualTo(ExecStatus.DONE);
      assertThat(logged)
          .contains(
              "WARN guest config write-back skipped guest=fw file="
                  + shared.resolve("fw.xml")
                  + " reason=the file changed since this node last read or wrote it (another"
                  + " node or an administrator wrote it); the definition here is not newer");
      try (var kept = Files.list(work.resolve("state-a/kept"))) {
        assertThat(kept.toList())
            .as("the agent's definition, undefined without a write-back, is kept")
            .singleElement()
            .satisfies(f -> assertThat(Files.readString(f)).contains(">1</vcpu>"));
      }
      // Nor does the operator's vmconfigsync while the guest does not run here; it says why.
      daemonA.virsh("define", work.resolve("a-old.xml").toString());
      EntryResult sync = a.agent.action(guest, "vmconfigsync", java.util.List.of());
      assertThat(sync.exec()).isEqualTo(ExecStatus.FAILED);
      assertThat(sync.output())
          .contains("not written: " + shared.resolve("fw.xml") + ": the guest has not run on this")
          .endsWith("to push this node's definition, run vmconfigsync while the guest runs here");
      assertThat(a.agent.offline(guest).exec()).isEqualTo(ExecStatus.DONE);
    }
    assertThat(sharedFile()).as("A's clean and offline leave B's file alone").isEqualTo(before);
    assertThat(syncCopy()).contains(">4</vcpu>");
  }

  @Test
  void aChangeMadeWhileTheGuestRanHereReachesTheSharedFile() throws Exception {
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      a.editVcpus(3); // virsh define while it runs here: what this node runs
      assertThat(a.agent.clean(guest, CleanReason.UNEXPECTED_OFFLINE).exec())
          .isEqualTo(ExecStatus.DONE);
    }
    assertThat(sharedFile()).contains(">3</vcpu>");
    assertThat(syncCopy()).contains(">3</vcpu>");
    try (Node b = new Node(daemonB, "state-b")) {
      assertThat(b.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      assertThat(b.maxVcpus()).isEqualTo("3");
    }
  }

  @Test
  void vmconfigsyncPushesWhatRunsHereEvenOverAFileChangedElsewhere() throws Exception {
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      // Someone else rewrites the shared file while A runs the guest.
      Files.writeString(
          shared.resolve("fw.xml"), Guests.testXml("fw").replace(">1</vcpu>", ">2</vcpu>"));
      a.editVcpus(5);
      EntryResult push = a.agent.action(guest, "vmconfigsync", java.util.List.of());
      assertThat(push.exec()).isEqualTo(ExecStatus.DONE);
      assertThat(push.output()).startsWith("configuration written to ");
      assertThat(sharedFile()).contains(">5</vcpu>");
      assertThat(a.agent.offline(guest).exec()).isEqualTo(ExecStatus.DONE);
    }
    assertThat(sharedFile()).contains(">5</vcpu>");
  }

  @Test
  void aManagedSaveImageKeepsItsDefinition() throws Exception {
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
    }
    daemonA.virsh("managedsave", "fw"); // saved here, behind the agent's back
    bRunsEditsAndStops();
    java.util.List<String> logged = logsOf("org.havirt.backend.kvm.StartDefinition");
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      assertThat(a.maxVcpus()).as("restored with the definition it was saved with").isEqualTo("1");
      assertThat(logged)
          .anySatisfy(
              line ->
                  assertThat(line)
                      .startsWith("WARN guest not redefined from shared file guest=fw")
                      .contains("a managed save image exists here"));
    }
  }

  @Test
  void resyncWhileRunningNeverOverwritesAFileChangedByHand() throws Exception {
    GuestSpec resync =
        Guests.spec(
            "fw",
            "GuestConfigFilePath",
            shared.resolve("fw.xml").toString(),
            "SyncDir",
            shared.resolve("sync").toString(),
            "ResyncVMCfg",
            "1");
    java.util.List<String> logged = logsOf("org.havirt.backend.kvm.internal.GuestFiles");
    try (Node a = new Node(daemonA, "state-a")) {
      assertThat(a.agent.online(resync).exec()).isEqualTo(ExecStatus.DONE);
      a.editVcpus(2);
      a.agent.monitor(resync);
      assertThat(sharedFile()).as("what runs here moves forward").contains(">2</vcpu>");
      String byHand = Guests.testXml("fw").replace(">1</vcpu>", ">7</vcpu>");
      Files.writeString(shared.resolve("fw.xml"), byHand);
      a.editVcpus(3);
      a.agent.monitor(resync);
      assertThat(sharedFile()).as("the hand-written file stays").isEqualTo(byHand);
      assertThat(syncCopy()).as("the untouched copy moves on").contains(">3</vcpu>");
      assertThat(logged)
          .anySatisfy(
              l ->
                  assertThat(l)
                      .startsWith(
                          "WARN guest config write-back skipped guest=fw file="
                              + shared.resolve("fw.xml")));
    }
  }
}
