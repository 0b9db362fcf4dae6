package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peer names go into the libvirt URI template ({@code qemu+ssh://%h/system}): {@code add} and
 * {@code modify} refuse anything but host names and IP literals (issue 15, point 6), and the
 * resource stays as it was.
 */
class PeerNamesTest {
  static final Duration T = Duration.ofSeconds(20);
  static final List<String> HOSTILE =
      List.of("x/?command=/path", "a@b", "-oProxyCommand=touch /tmp/x", "a b", "hv1/system");
  @TempDir Path dir;
  final TestAgent fixture = new TestAgent();

  @AfterEach
  void tearDown() throws Exception {
    fixture.close();
  }

  static String quoted(String s) {
    return Json.MAPPER.valueToTree(s).toString();
  }

  @Test
  void addAndModifyRefuseAPeerThatIsNotAHostName() throws Exception {
    Path socket = dir.resolve("a.sock");
    fixture.server(socket, SocketLimits.DEFAULTS, t -> {}).start();
    try (LineClient c = LineClient.reading(socket)) {
      int id = 1;
      for (String peer : HOSTILE) {
        c.send(
            "{\"id\":"
                + id++
                + ",\"op\":\"add\",\"resource\":\"r\",\"attributes\":{\"GuestName\":\"g\"},"
                + "\"peers\":[\"hv2\","
                + quoted(peer)
                + "]}");
        JsonNode r = c.reply(T);
        assertThat(r.path("error").path("code").asText())
            .as(peer + ": " + r)
            .isEqualTo("bad_request");
        assertThat(r.path("error").path("message").asText())
            .isEqualTo(
                "\"peers\": '"
                    + peer
                    + "' is not a host name or IP address: it is neither an IP"
                    + " address nor a host name (labels of letters, digits, underscores and inner hyphens,"
                    + " separated by dots)");
      }
      c.send("{\"id\":50,\"op\":\"status\",\"resource\":\"r\"}");
      assertThat(c.reply(T).path("resources")).as("nothing was added").isEmpty();

      c.send(
          "{\"id\":51,\"op\":\"add\",\"resource\":\"r\",\"attributes\":{\"GuestName\":\"g\"},"
              + "\"peers\":[\"hv2.example\",\"10.0.0.3\",\"2001:db8::3\"]}");
      assertThat(c.reply(T).path("ok").asBoolean()).isTrue();
      c.send(
          "{\"id\":52,\"op\":\"modify\",\"resource\":\"r\",\"attributes\":{},"
              + "\"peers\":[\"x/?command=/path\"]}");
      JsonNode m = c.reply(T);
      assertThat(m.path("error").path("code").asText()).as(m.toString()).isEqualTo("bad_request");
      assertThat(m.path("error").path("message").asText()).contains("'x/?command=/path'");
      c.send("{\"id\":53,\"op\":\"status\",\"resource\":\"r\"}");
      assertThat(c.reply(T).path("resources")).as("the resource is still there").hasSize(1);
    }
  }
}
