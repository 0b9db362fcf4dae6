package org.havirt.agent.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --socket-group} (issue 15, point 10): a non-root engine reaches the socket through its
 * group, and SO_PEERCRED still decides who is served. Connects as the real unprivileged user nobody
 * (group nogroup) with setpriv, so it runs only as root.
 */
class SocketGroupTest {
  static final String USER = "nobody";
  static final String GROUP = "nogroup";
  static final String CLIENT =
      "import socket,sys\n"
          + "s=socket.socket(socket.AF_UNIX)\n"
          + "try:\n"
          + "  s.connect(sys.argv[1])\n"
          + "except OSError as e:\n"
          + "  print('connect failed:', e.strerror); sys.exit(0)\n"
          + "s.sendall(b'{\"id\":1,\"op\":\"hello\",\"versions\":[1]}\\n')\n"
          + "print(s.makefile().readline().strip())\n";

  @TempDir Path dir;
  TestAgent fixture;

  @BeforeEach
  void rootOnly() throws Exception {
    assumeTrue(System.getProperty("user.name").equals("root"), "needs root to act as nobody");
    assumeTrue(
        new File("/usr/bin/setpriv").canExecute() && new File("/usr/bin/python3").canExecute());
    // nobody must be able to walk down to the socket's directory; what happens there is the test.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    fixture = new TestAgent();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  /** Connects as {@code nobody} with gid {@code gid} and no other group; returns the reply. */
  String connectAsNobody(Path socket, String gid) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "/usr/bin/setpriv",
                "--reuid=" + USER,
                "--regid=" + gid,
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                CLIENT,
                socket.toString()));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void withoutTheOptionANonRootUserCannotReachTheSocketEvenIfAllowed() throws Exception {
    Path socket = dir.resolve("run/havirt.sock");
    fixture.server(socket, SocketLimits.DEFAULTS, t -> {}, Set.of("root", USER)).start();
    assertThat(connectAsNobody(socket, GROUP)).isEqualTo("connect failed: Permission denied");
  }

  @Test
  void anAllowedUserInTheGroupIsServedAndTheModesAreTight() throws Exception {
    Path socket = dir.resolve("run/havirt.sock");
    fixture
        .server(socket, SocketLimits.DEFAULTS, t -> {}, Set.of("root", USER))
        .socketGroup(GROUP)
        .start();
    assertThat(connectAsNobody(socket, GROUP)).contains("\"ok\":true").contains("\"protocol\":1");
    PosixFileAttributes s = Files.readAttributes(socket, PosixFileAttributes.class);
    PosixFileAttributes d = Files.readAttributes(socket.getParent(), PosixFileAttributes.class);
    assertThat(s.group().getName()).isEqualTo(GROUP);
    assertThat(PosixFilePermissions.toString(s.permissions())).isEqualTo("rw-rw----");
    assertThat(d.group().getName()).isEqualTo(GROUP);
    assertThat(PosixFilePermissions.toString(d.permissions())).isEqualTo("rwxr-x---");
  }

  @Test
  void theGroupOpensTheSocketButTheAllowListStillDecides() throws Exception {
    Path socket = dir.resolve("run/havirt.sock");
    fixture
        .server(socket, SocketLimits.DEFAULTS, t -> {}, Set.of("root"))
        .socketGroup(GROUP)
        .start();
    assertThat(connectAsNobody(socket, GROUP)).contains("\"code\":\"forbidden\"");
  }

  @Test
  void aUserOutsideTheGroupCannotConnect() throws Exception {
    Path socket = dir.resolve("run/havirt.sock");
    fixture
        .server(socket, SocketLimits.DEFAULTS, t -> {}, Set.of("root", USER))
        .socketGroup(GROUP)
        .start();
    // gid 65533: not the socket's group (nobody's own groups are dropped by --clear-groups).
    assertThat(connectAsNobody(socket, "65533")).isEqualTo("connect failed: Permission denied");
  }

  @Test
  void anUnknownGroupOrASharedDirectoryIsRefusedAtStart() throws Exception {
    assertThatThrownBy(
            () ->
                fixture
                    .server(dir.resolve("run/a.sock"), SocketLimits.DEFAULTS, t -> {})
                    .socketGroup("no-such-group-havirt")
                    .start())
        .hasMessage("--socket-group: no group named 'no-such-group-havirt'");
    Path shared = Files.createDirectories(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThatThrownBy(
            () ->
                fixture
                    .server(shared.resolve("a.sock"), SocketLimits.DEFAULTS, t -> {})
                    .socketGroup(GROUP)
                    .start())
        .hasMessageContaining("must be its own");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)))
        .as("a shared directory is left as it was")
        .isEqualTo("rwxrwxrwx");
    // Owned by root and writable by nobody else, but it holds other files: /run, /var/run.
    Path busy = Files.createDirectories(dir.resolve("busy"));
    Files.setPosixFilePermissions(busy, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(busy.resolve("other.pid"), "1\n");
    assertThatThrownBy(
            () ->
                fixture
                    .server(busy.resolve("a.sock"), SocketLimits.DEFAULTS, t -> {})
                    .socketGroup(GROUP)
                    .start())
        .hasMessageContaining("holds nothing but the socket");
    assertThat(Files.readAttributes(busy, PosixFileAttributes.class).group().getName())
        .isNotEqualTo(GROUP);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(busy)))
        .isEqualTo("rwxr-xr-x");
  }
}
