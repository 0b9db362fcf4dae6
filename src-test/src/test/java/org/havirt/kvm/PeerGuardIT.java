package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
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
import org.havirt.types.Deadline;
import org.havirt.types.ExecStatus;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The split-brain guard's kept peer connections: the connection is kept between starts, the answer
 * never is. Each test starts a guest here once (which opens and keeps the connection to the peer),
 * changes the peer, and starts again. A local and a peer test-driver libvirtd.
 */
class PeerGuardIT {
  static final String REFUSED = "guest pg is running (booted) on peer peer; refusing to start";

  @TempDir Path work;
  PrivateLibvirtd here;
  PrivateLibvirtd peer;
  LibvirtBackend backend;
  ResourceAgent agent;
  GuestSpec guest;

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    here = PrivateLibvirtd.testDriver(work.resolve("here"));
    peer = PrivateLibvirtd.testDriver(work.resolve("peer"));
    String template = "test+unix:///default?socket=" + work.resolve("%h/run/libvirt-sock");
    backend =
        new LibvirtBackend(
            new KvmSettings(
                here.uri(),
                work.resolve("state"),
                template,
                Optional.empty(),
                8,
                Duration.ofSeconds(3)),
            Ticker.SYSTEM);
    backend.connect(Deadline.in(Duration.ofSeconds(10)));
    agent = new ResourceAgent(backend, Ticker.SYSTEM);
    guest = Guests.specWithPeers("pg", List.of("peer"));
    here.virsh("define", xml(here).toString());
    // The first start: the peer has the guest defined but off, so it goes ahead, and the
    // connection to the peer is kept.
    definedOnPeer();
    assertThat(agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
    here.virsh("destroy", "pg");
  }

  @AfterEach
  void tearDown() throws IOException {
    if (backend != null) {
      backend.close();
    }
    for (PrivateLibvirtd d : new PrivateLibvirtd[] {peer, here}) {
      if (d != null) {
        d.close();
      }
    }
  }

  private Path xml(PrivateLibvirtd d) throws IOException {
    return Files.writeString(d.dir().resolve("pg.xml"), Guests.testXml("pg"));
  }

  private void definedOnPeer() throws Exception {
    peer.virsh("define", xml(peer).toString());
  }

  private String stateHere() throws Exception {
    return here.virsh("domstate", "pg").trim();
  }

  @Test
  void aGuestStartedOnThePeerSinceTheLastStartIsSeenAndRefused() throws Exception {
    peer.virsh("start", "pg");

    EntryResult r = agent.online(guest);

    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains(REFUSED);
    assertThat(stateHere()).isEqualTo("shut off");
  }

  @Test
  void aKeptConnectionToAPeerWhoseLibvirtdRestartedIsReplacedAndThePeerAsked() throws Exception {
    // The kept connection dies with the peer's libvirtd; the new libvirtd runs the guest.
    peer.kill();
    peer.restart();
    definedOnPeer(); // the test driver keeps its domains in memory only
    peer.virsh("start", "pg");

    EntryResult r = agent.online(guest);

    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains(REFUSED);
    assertThat(stateHere()).isEqualTo("shut off");
  }

  @Test
  void aPeerGoneSinceTheLastStartIsPresumedDownAsBefore() throws Exception {
    peer.kill();

    EntryResult r = agent.online(guest);

    // The documented rule (docs/kvm.md, online): a peer that cannot be reached is presumed down.
    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.DONE);
    assertThat(stateHere()).isEqualTo("running");
  }

  @Test
  void aPeerHungOnTheKeptConnectionIsPresumedDownAndAskedAgainOnceItAnswers() throws Exception {
    peer.freeze();
    try {
      // The check waits for the peer until its timeout (3 s here), then presumes it down, as a
      // fresh connection to a hung libvirtd did. Its call stays stuck on the kept connection.
      assertThat(agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      here.virsh("destroy", "pg");
      // The kept connection is still busy with that call: this check goes over a new one.
      assertThat(agent.online(guest).exec()).isEqualTo(ExecStatus.DONE);
      here.virsh("destroy", "pg");
    } finally {
      peer.thaw();
    }
    peer.virsh("start", "pg");

    EntryResult r = agent.online(guest);

    assertThat(r.exec()).as(r.reason()).isEqualTo(ExecStatus.FAILED);
    assertThat(r.reason()).contains(REFUSED);
    assertThat(stateHere()).isEqualTo("shut off");
  }
}
