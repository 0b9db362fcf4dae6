package org.havirt.backend.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.havirt.backend.kvm.internal.Pidfds;
import org.havirt.types.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch against real processes that look like QEMU emulators to /proc: python3 started through
 * a link named qemu-system-test, with a {@code -uuid} argument.
 */
class QemuWatchTest {
  static final String UUID = "5e5e5e5e-0000-4000-8000-000000000005";
  static final Duration LONG = Duration.ofMinutes(1);

  @TempDir Path dir;
  final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  final List<Process> started = new java.util.ArrayList<>();
  QemuWatch watch;

  @BeforeEach
  void setUp() {
    String why = Pidfds.unsupported();
    assumeTrue(why == null, why);
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
    watch =
        QemuWatch.forUri(
            "qemu:///system",
            true,
            Path.of("/proc"),
            (g, d) -> events.add(g + ": " + d),
            Ticker.SYSTEM);
    assertThat(watch.enabled()).isTrue();
  }

  @AfterEach
  void tearDown() {
    if (watch != null) {
      watch.close();
    }
    started.forEach(Process::destroyForcibly);
  }

  Process emulator(String uuid) throws Exception {
    Path link = dir.resolve("qemu-system-test");
    if (!Files.exists(link)) {
      Files.createSymbolicLink(link, Path.of("/usr/bin/python3"));
    }
    Process p =
        new ProcessBuilder(link.toString(), "-c", "import sys; sys.stdin.read()", "-uuid", uuid)
            .start();
    started.add(p);
    return p;
  }

  void awaitWatching(String guest, long pid) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (watch.watching(guest).orElse(-1) != pid && System.nanoTime() < deadline) {
      Thread.sleep(5); // the watch thread picks it up; nothing announces that
      watch.running(guest, UUID);
    }
    assertThat(watch.watching(guest)).hasValue(pid);
  }

  @Test
  void anEmulatorsDeathIsAnnouncedAtOnceAndAnsweredForAWhile() throws Exception {
    Process qemu = emulator(UUID);
    watch.running("g", UUID);
    awaitWatching("g", qemu.pid());
    assertThat(watch.exitedWhileRunning("g", LONG)).isEmpty();
    qemu.destroyForcibly();
    assertThat(events.poll(10, TimeUnit.SECONDS))
        .isEqualTo("g: qemu process " + qemu.pid() + " exited");
    assertThat(watch.exitedWhileRunning("g", LONG)).hasValue(qemu.pid());
    assertThat(watch.exitedWhileRunning("g", Duration.ZERO)).as("only for a while").isEmpty();
    assertThat(watch.successorRunning("g")).isFalse();
    watch.stopped("g"); // libvirt caught up
    assertThat(watch.exited("g")).isEmpty();
  }

  @Test
  void aPausedGuestsExitIsLeftToLibvirt() throws Exception {
    Process qemu = emulator(UUID);
    watch.running("g", UUID);
    awaitWatching("g", qemu.pid());
    watch.paused("g");
    qemu.destroyForcibly();
    assertThat(events.poll(10, TimeUnit.SECONDS)).startsWith("g: qemu process");
    assertThat(watch.exited("g")).hasValue(qemu.pid());
    assertThat(watch.exitedWhileRunning("g", LONG)).as("maybe a save or a migration").isEmpty();
  }

  @Test
  void aRestartedGuestIsNotReportedDownAndItsNewEmulatorIsWatched() throws Exception {
    Process first = emulator(UUID);
    watch.running("g", UUID);
    awaitWatching("g", first.pid());
    first.destroyForcibly();
    assertThat(events.poll(10, TimeUnit.SECONDS)).isNotNull();
    Process second = emulator(UUID); // restarted before the agent looked
    assertThat(watch.successorRunning("g")).isTrue();
    assertThat(watch.exited("g")).isEmpty();
    awaitWatching("g", second.pid());
  }

  @Test
  void aGuestWithoutAnEmulatorHereIsNotWatchedAndNothingIsSaid() throws Exception {
    watch.running("ghost", "6e6e6e6e-0000-4000-8000-000000000006");
    Process other = emulator(UUID);
    watch.running("g", UUID);
    awaitWatching("g", other.pid());
    assertThat(watch.watching("ghost")).isEmpty();
    assertThat(watch.exited("ghost")).isEmpty();
    assertThat(events).isEmpty();
  }

  @Test
  void onlyALocalQemuDriverIsWatched() {
    assertThat(QemuWatch.isLocalQemu("qemu:///system")).isTrue();
    assertThat(QemuWatch.isLocalQemu("qemu+unix:///system?socket=/run/x.sock")).isTrue();
    assertThat(QemuWatch.isLocalQemu("qemu+ssh://hv2/system")).isFalse();
    assertThat(QemuWatch.isLocalQemu("test:///default")).isFalse();
    assertThat(QemuWatch.isLocalQemu("::not a uri")).isFalse();
    try (QemuWatch off =
        QemuWatch.forUri("qemu:///system", false, Path.of("/proc"), (g, d) -> {}, Ticker.SYSTEM)) {
      assertThat(off.enabled()).isFalse();
      off.running("g", UUID);
      assertThat(off.watching("g")).isEmpty();
    }
  }
}
