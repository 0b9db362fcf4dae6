package org.havirt.agent.cli;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd the agent is ready (Type=notify), only once the socket listens. Java 17 cannot send
 * datagrams to a Unix socket, so systemd-notify does it, naming our pid (the unit sets
 * NotifyAccess=all so systemd accepts a message from that helper).
 */
final class SystemdNotify {
  private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

  private SystemdNotify() {}

  static void ready() {
    if (System.getenv("NOTIFY_SOCKET") == null) {
      return;
    }
    try {
      Process p =
          new ProcessBuilder(
                  List.of("systemd-notify", "--ready", "--pid=" + ProcessHandle.current().pid()))
              .inheritIO()
              .start();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        log.warn("systemd-notify failed");
      }
    } catch (Exception e) {
      log.warn("systemd-notify unavailable err={}", e.toString());
    }
  }
}
