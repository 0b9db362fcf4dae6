package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jdi.Bootstrap;
import com.sun.jdi.ThreadReference;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.AttachingConnector;
import com.sun.jdi.connect.Connector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent under systemd, without systemd (issue 14, point 4): PID 1 is not systemd where the
 * tests run, so the test owns the notify socket ({@link NotifyReceiver}) and sets the variables
 * systemd would (NOTIFY_SOCKET, WATCHDOG_USEC). The real daemon from the built distribution must
 * say READY=1 once it serves, ping the watchdog while it is well, and stop pinging while its loop
 * is frozen. The loop is frozen from outside, by suspending its one thread through the JVM's
 * debugger interface (JDWP): no test hook in the daemon, and every other thread runs on, as in a
 * real hang.
 */
class SystemdAgentIT {
  static final Duration T = Duration.ofSeconds(60);

  /** WatchdogSec=2s for the test: a ping every second. */
  static final String WATCHDOG_USEC = "2000000";

  static final Pattern JDWP =
      Pattern.compile("Listening for transport dt_socket at address: (\\d+)");

  @TempDir Path dir;

  @Test
  void readyOnceServingThenWatchdogPingsThatStopWhileTheLoopIsFrozen() throws Exception {
    assumeTrue(Files.isExecutable(CliIT.HAVIRT), "needs the built distribution");
    Path notify = dir.resolve("notify");
    try (NotifyReceiver systemd = new NotifyReceiver(dir, notify.toString());
        DaemonProcess agent =
            new DaemonProcess(
                dir,
                dir.resolve("agent.sock"),
                dir.resolve("agent.out"),
                Map.of(
                    "NOTIFY_SOCKET",
                    notify.toString(),
                    "WATCHDOG_USEC",
                    WATCHDOG_USEC,
                    "HAVIRT_JAVA_OPTS",
                    "-Xss512k -XX:+UseSerialGC -Xmx256m"
                        + " -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,"
                        + "address=127.0.0.1:0"))) {
      String me = "pid=" + agent.pid() + " ";
      Predicate<String> ready = l -> l.startsWith(me + "READY=1");
      Predicate<String> ping = l -> l.equals(me + "WATCHDOG=1");

      assertThat(systemd.await(ready, 1, T)).as(agent.output()).isTrue();
      // Ready means serving: the socket answers at once.
      assertThat(agent.status().path("ok").asBoolean()).isTrue();
      // No -c and no main.cf: it runs with no resources, and says so.
      assertThat(agent.output())
          .contains("no configuration file " + dir.resolve("main.cf"))
          .contains("running with no configured resources");
      assertThat(systemd.await(ping, 3, T)).as(systemd.lines().toString()).isTrue();
      assertThat(systemd.lines())
          .as("every message from the agent's own pid")
          .allMatch(l -> l.startsWith(me));

      Matcher port = JDWP.matcher(agent.output());
      assertThat(port.find()).as(agent.output()).isTrue();
      VirtualMachine vm = attach(Integer.parseInt(port.group(1)));
      try {
        ThreadReference loop =
            vm.allThreads().stream()
                .filter(t -> t.name().equals("havirt-agent-loop"))
                .findFirst()
                .orElseThrow();
        loop.suspend();

        assertThat(
                agent.awaitOutput(
                    "not pinging systemd's watchdog: the agent loop has not run a heartbeat", T))
            .as(agent.output())
            .isTrue();
        long frozen = systemd.count(ping);
        // Three ticks' worth: no ping comes while the loop stays frozen.
        assertThat(systemd.await(ping, frozen + 1, Duration.ofSeconds(3)))
            .as("no ping while the loop is frozen: %s", systemd.lines())
            .isFalse();

        loop.resume();
        assertThat(systemd.await(ping, frozen + 1, T)).as(agent.output()).isTrue();
        assertThat(agent.awaitOutput("agent is well again; systemd watchdog pings resume", T))
            .isTrue();
      } finally {
        vm.dispose();
      }
      agent.process.destroy(); // SIGTERM, as systemctl stop
      agent.awaitExit(T);
      assertThat(systemd.lines()).last().isEqualTo(me + "STOPPING=1");
    }
  }

  static VirtualMachine attach(int port) throws Exception {
    AttachingConnector socket =
        Bootstrap.virtualMachineManager().attachingConnectors().stream()
            .filter(c -> c.transport().name().equals("dt_socket"))
            .findFirst()
            .orElseThrow();
    Map<String, Connector.Argument> args = socket.defaultArguments();
    args.get("hostname").setValue("127.0.0.1");
    args.get("port").setValue(Integer.toString(port));
    return socket.attach(args);
  }

  @Test
  void theSocketOfAKilledAgentIsReplacedAndALiveAgentsSocketIsNeverTaken() throws Exception {
    assumeTrue(Files.isExecutable(CliIT.HAVIRT), "needs the built distribution");
    Path socket = dir.resolve("agent.sock");
    try (DaemonProcess killed = new DaemonProcess(dir, socket, dir.resolve("a.out"), Map.of())) {
      killed.awaitServing(T);
      killed.process.destroyForcibly(); // kill -9: no shutdown hook removes the socket
      killed.awaitExit(T);
    }
    assertThat(socket).as("a killed agent leaves its socket file").exists();

    try (DaemonProcess restarted = new DaemonProcess(dir, socket, dir.resolve("b.out"), Map.of())) {
      restarted.awaitServing(T);
      assertThat(restarted.output()).contains("engine socket file left by an agent that is gone");
      Object inode = Files.getAttribute(socket, "unix:ino");

      try (DaemonProcess second = new DaemonProcess(dir, socket, dir.resolve("c.out"), Map.of())) {
        assertThat(second.awaitExit(T)).as(second.output()).isEqualTo(1);
        assertThat(second.output()).contains("another agent is listening on " + socket);
      }
      assertThat(Files.getAttribute(socket, "unix:ino")).isEqualTo(inode);
      assertThat(restarted.status().path("ok").asBoolean()).isTrue();

      restarted.process.destroy(); // SIGTERM, as systemctl stop
      // The JVM's status after SIGTERM: the unit counts it as success (SuccessExitStatus=143).
      assertThat(restarted.awaitExit(T)).isEqualTo(143);
      assertThat(socket).as("a stopped agent removes its socket").doesNotExist();
    }
  }

  @Test
  void anInvalidDefaultMainCfIsRefusedWithItsErrors() throws Exception {
    assumeTrue(Files.isExecutable(CliIT.HAVIRT), "needs the built distribution");
    Files.writeString(dir.resolve("main.cf"), "group g ( SystemList = \n");
    try (DaemonProcess agent =
        new DaemonProcess(dir, dir.resolve("agent.sock"), dir.resolve("agent.out"), Map.of())) {
      assertThat(agent.awaitExit(T)).isEqualTo(2);
      assertThat(agent.output()).contains(dir.resolve("main.cf") + " has errors; nothing was done");
      assertThat(dir.resolve("agent.sock")).doesNotExist();
    }
  }
}
