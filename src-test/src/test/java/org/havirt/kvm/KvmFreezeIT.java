package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.types.Deadline;
import org.havirt.types.MonitorResult;
import org.havirt.types.ResourceState;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libvirtd frozen with SIGSTOP while monitors run every second on a few guests (issue 13, point 3):
 * the backend stays alive, monitors say UNKNOWN (never OFFLINE) while it lasts, and everything is
 * ONLINE again by itself once libvirtd resumes. Before the fix a 12 s freeze crashed the JVM in
 * native code (use of a domain handle freed by another thread, or a connection closed under a call)
 * a fraction of a second after the thaw.
 */
class KvmFreezeIT {
  private static final List<String> GUESTS = List.of("fz1", "fz2", "fz3", "fz4");

  @TempDir Path work;
  PrivateLibvirtd daemon;
  LibvirtBackend backend;

  @BeforeEach
  void setUp() throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    daemon = PrivateLibvirtd.testDriver(work.resolve("tdrv"));
    for (String g : GUESTS) {
      Path xml = work.resolve(g + ".xml");
      Files.writeString(xml, Guests.testXml(g));
      daemon.virsh("define", xml.toString());
      daemon.virsh("start", g);
    }
    backend =
        new LibvirtBackend(
            new KvmSettings(
                daemon.uri(),
                work.resolve("state"),
                "unused://%h",
                Optional.empty(),
                8,
                Duration.ofSeconds(3)),
            Ticker.SYSTEM);
    backend.connect(Deadline.in(Duration.ofSeconds(10)));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (daemon != null) {
      daemon.thaw(); // a failed assertion must not leave it stopped
      daemon.close();
    }
  }

  @Test
  void freezesOfFiveAndTwelveSecondsLeaveTheBackendAliveAndRecover() throws Exception {
    for (int seconds : new int[] {5, 12, 12}) {
      freezeAndRecover(Duration.ofSeconds(seconds));
    }
  }

  @Test
  void aSixtySecondFreezeIsUnknownThroughoutAndRecovers() throws Exception {
    freezeAndRecover(Duration.ofSeconds(60));
  }

  private void freezeAndRecover(Duration freeze) throws Exception {
    ResourceAgent agent = new ResourceAgent(backend, Ticker.SYSTEM);
    List<GuestSpec> specs = new ArrayList<>();
    for (String g : GUESTS) {
      specs.add(Guests.spec(g, "MonitorTimeout", "2"));
    }
    for (GuestSpec s : specs) {
      assertThat(agent.monitor(s).state().orElseThrow().state()).isEqualTo(ResourceState.ONLINE);
    }
    ConcurrentLinkedQueue<MonitorResult> during = new ConcurrentLinkedQueue<>();
    AtomicBoolean frozen = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> monitors = new ArrayList<>();
    for (GuestSpec s : specs) {
      // Two monitors per guest, so the same guest is inspected concurrently.
      for (int i = 0; i < 2; i++) {
        Thread t =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    MonitorResult r = agent.monitor(s).state().orElseThrow();
                    if (frozen.get()) {
                      during.add(r);
                    }
                    if (r.state() == ResourceState.OFFLINE) {
                      during.add(r); // never acceptable, frozen or not
                    }
                    pause(Duration.ofSeconds(1));
                  }
                },
                "monitor-" + s.guestName() + "-" + i);
        t.setDaemon(true);
        t.start();
        monitors.add(t);
      }
    }
    try {
      pause(Duration.ofMillis(1500));
      daemon.freeze();
      long frozenAt = System.nanoTime();
      frozen.set(true);
      pause(Duration.ofSeconds(2));
      // The monitors' timeouts are explained: libvirtd is not answering (FaultOnMonitorTimeouts
      // must not count them).
      assertThat(
              backend.controlTrouble(
                  specs.get(0), Duration.ofSeconds(2), Deadline.in(Duration.ofSeconds(1))))
          .hasValueSatisfying(t -> assertThat(t).contains("has not answered a liveness probe"));
      pause(freeze.minus(Duration.ofSeconds(2)));
      frozen.set(false);
      daemon.thaw();
      long thawed = System.nanoTime();
      for (GuestSpec s : specs) {
        MonitorResult last = null;
        while (System.nanoTime() - thawed < Duration.ofSeconds(20).toNanos()) {
          last = agent.monitor(s).state().orElseThrow();
          if (last.state() == ResourceState.ONLINE) {
            break;
          }
          pause(Duration.ofMillis(100));
        }
        assertThat(last.state())
            .as("%s after a %s freeze: %s", s.guestName(), freeze, last)
            .isEqualTo(ResourceState.ONLINE);
      }
      Duration recovered = Duration.ofNanos(System.nanoTime() - thawed);
      System.out.println(
          "KvmFreezeIT: after a "
              + freeze
              + " freeze every guest was ONLINE "
              + recovered.toMillis()
              + " ms after the thaw");
      // A window that reaches back into the freeze still explains a timeout after the thaw...
      Duration sinceFreeze = Duration.ofNanos(System.nanoTime() - frozenAt);
      assertThat(
              backend.controlTrouble(specs.get(0), sinceFreeze, Deadline.in(Duration.ofSeconds(1))))
          .hasValueSatisfying(t -> assertThat(t).contains("answered a liveness probe after"));
      // ...and once the last late answer is out of the window, a fresh probe says healthy.
      long healthyBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      Optional<String> trouble;
      do {
        trouble =
            backend.controlTrouble(
                specs.get(0), Duration.ofMillis(500), Deadline.in(Duration.ofSeconds(1)));
      } while (trouble.isPresent() && System.nanoTime() < healthyBy);
      assertThat(trouble).as("controlTrouble after recovery").isEmpty();
    } finally {
      stop.set(true);
      for (Thread t : monitors) {
        t.join(10_000);
      }
    }
    assertThat(during)
        .as("monitor results during a %s freeze", freeze)
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.state()).isIn(ResourceState.ONLINE, ResourceState.UNKNOWN))
        .anySatisfy(r -> assertThat(r.state()).isEqualTo(ResourceState.UNKNOWN));
  }

  /** Paces the monitors like the engine's MonitorInterval; not a wait for a condition. */
  private static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
