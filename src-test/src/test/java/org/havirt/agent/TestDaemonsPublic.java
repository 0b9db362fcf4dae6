package org.havirt.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@link TestDaemons} for tests in other packages. */
public final class TestDaemonsPublic {
  private TestDaemonsPublic() {}

  /** Starts the daemon for {@code system}, letting only the current user on its socket. */
  public static AgentDaemon start(Path main, String system, Path socket, Map<String, String> node)
      throws IOException {
    return TestDaemons.start(main, system, socket, TestDaemons.me(), node);
  }
}
