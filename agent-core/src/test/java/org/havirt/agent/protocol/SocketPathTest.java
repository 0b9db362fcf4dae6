package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket path across restarts (issue 14, point 4): the socket file a killed agent left behind
 * is replaced, a socket another live agent answers on is never taken over, and a path that is not a
 * socket is never deleted.
 */
class SocketPathTest {
  static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;
  final TestAgent fixture = new TestAgent();

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  static JsonNode status(Path socket) throws Exception {
    try (LineClient c = LineClient.reading(socket)) {
      c.send("{\"id\":1,\"op\":\"status\"}");
      return c.reply(T);
    }
  }

  @Test
  void theSocketFileOfAKilledAgentIsReplaced() throws Exception {
    Path socket = dir.resolve("agent.sock");
    // A killed process's listening socket: closed by the kernel, its file left on disk.
    ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    dead.bind(UnixDomainSocketAddress.of(socket));
    dead.close();
    assertThat(socket).exists();

    fixture.server(socket, SocketLimits.DEFAULTS, t -> {}).start();

    assertThat(status(socket).path("ok").asBoolean()).isTrue();
  }

  @Test
  void aSocketAnotherLiveAgentAnswersOnIsNotTakenOver() throws Exception {
    Path socket = dir.resolve("agent.sock");
    fixture.server(socket, SocketLimits.DEFAULTS, t -> {}).start();
    Object inode = Files.getAttribute(socket, "unix:ino");

    ProtocolServer second = fixture.server(socket, SocketLimits.DEFAULTS, t -> {});
    assertThatThrownBy(second::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("another agent is listening on " + socket);

    // The first agent still owns the very same socket and answers on it.
    assertThat(Files.getAttribute(socket, "unix:ino")).isEqualTo(inode);
    assertThat(status(socket).path("ok").asBoolean()).isTrue();
  }

  @Test
  void aPathThatIsNotASocketIsNeverDeleted() throws Exception {
    Path socket = dir.resolve("agent.sock");
    Files.writeString(socket, "an administrator's file\n");

    ProtocolServer server = fixture.server(socket, SocketLimits.DEFAULTS, t -> {});
    assertThatThrownBy(server::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining(socket + " exists and is not a socket");

    assertThat(Files.readString(socket)).isEqualTo("an administrator's file\n");
  }
}
