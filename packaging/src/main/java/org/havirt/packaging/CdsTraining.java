package org.havirt.packaging;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.havirt.agent.cli.HavirtMain;
import org.havirt.verify.HavirtVerify;
import picocli.CommandLine;

/**
 * The workload {@code bin/havirt-cds} records into the class-data archive: the administrator's
 * commands run once in this JVM, so the classes they load are the ones archived. Run only under
 * {@code -XX:ArchiveClassesAtExit}; it never touches the node: {@code status} asks a socket nobody
 * listens on, {@code invoke monitor} and {@code havirtverify} use libvirt's built-in {@code
 * test:///default} driver with a private state directory. A command that fails (no libvirt library,
 * say) only archives fewer classes, so the outcome of each is ignored.
 *
 * <p>Usage: {@code CdsTraining HAVIRT_HOME}. Not thread-safe; a program, not a library.
 */
public final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws IOException {
    Path conf = Path.of(args[0], "conf");
    Path dir = Files.createTempDirectory("havirt-cds");
    try {
      Files.copy(conf.resolve("types.cf"), dir.resolve("types.cf"));
      Files.copy(conf.resolve("KVMGuestTypes.cf"), dir.resolve("KVMGuestTypes.cf"));
      String main =
          Files.writeString(
                  dir.resolve("main.cf"),
                  "include \"types.cf\"\ngroup g ( SystemList = { n1 = 0 } )\n"
                      + "KVMGuest r0 ( GuestName = test )\n")
              .toString();
      String[] node = {
        "--libvirt-uri",
        "test:///default",
        "--state-dir",
        dir.resolve("state").toString(),
        "--key-file",
        dir.resolve("havirt.key").toString(),
        "--no-qemu-watch"
      };
      havirt("--help");
      havirt("status", "--socket", dir.resolve("nobody.sock").toString());
      havirt("config", "check", main);
      havirt(concat(new String[] {"invoke", "monitor", "r0", "-c", main, "--sys", "n1"}, node));
      verify("--help");
      verify(concat(new String[] {"-c", main, "--sys", "n1", "r0"}, node));
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void havirt(String... args) {
    quiet(HavirtMain.commandLine()).execute(args);
  }

  private static void verify(String... args) {
    quiet(HavirtVerify.commandLine()).execute(args);
  }

  private static CommandLine quiet(CommandLine cl) {
    PrintWriter none = new PrintWriter(Writer.nullWriter());
    return cl.setOut(none).setErr(none);
  }

  private static String[] concat(String[] a, String[] b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }
}
