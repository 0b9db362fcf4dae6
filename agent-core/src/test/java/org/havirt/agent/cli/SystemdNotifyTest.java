package org.havirt.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sd_notify from the agent's own pid (issue 14, point 4): systemd attributes a notification to the
 * unit by its sender, and the unit accepts only its main pid's (NotifyAccess=main).
 */
class SystemdNotifyTest {
  static final Duration T = Duration.ofSeconds(10);
  static final long PID = ProcessHandle.current().pid();
  @TempDir Path dir;

  @Test
  void readyIsSentFromThisProcessToAPathSocket() throws Exception {
    Path socket = dir.resolve("notify");
    try (NotifyReceiver systemd = new NotifyReceiver(dir, socket.toString())) {
      SystemdNotify n =
          SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", socket.toString())).orElseThrow();
      n.send("READY=1\nSTATUS=serving");
      assertThat(systemd.await(1, T)).containsExactly("pid=" + PID + " READY=1|STATUS=serving");
    }
  }

  @Test
  void anAbstractSocketIsReachedToo() throws Exception {
    String name = "@havirt-test-" + PID + "-" + System.nanoTime();
    try (NotifyReceiver systemd = new NotifyReceiver(dir, name)) {
      SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", name)).orElseThrow().send("WATCHDOG=1");
      assertThat(systemd.await(1, T)).containsExactly("pid=" + PID + " WATCHDOG=1");
    }
  }

  @Test
  void withoutNotifySocketNothingIsSent() {
    assertThat(SystemdNotify.fromEnvironment(Map.of())).isEmpty();
    assertThat(SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", ""))).isEmpty();
  }

  @Test
  void aSocketNobodyListensOnIsAClearError() throws Exception {
    Path socket = dir.resolve("nobody");
    SystemdNotify n =
        SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", socket.toString())).orElseThrow();
    assertThatThrownBy(() -> n.send("READY=1"))
        .hasMessageContaining("cannot notify systemd on " + socket);
  }

  @Test
  void anAddressThatCannotBeAUnixSocketIsRefused() {
    assertThatThrownBy(() -> SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> SystemdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "/" + "x".repeat(120))))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
