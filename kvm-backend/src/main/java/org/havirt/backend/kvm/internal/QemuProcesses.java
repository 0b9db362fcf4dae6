package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the QEMU processes of libvirt guests in {@code /proc}, by the {@code -uuid} libvirt puts on
 * every QEMU command line. libvirt has no API that gives a guest's pid. Stateless.
 */
public final class QemuProcesses {
  private QemuProcesses() {}

  /** Returns the pid of every QEMU emulator under {@code proc}, by the guest UUID it runs. */
  public static Map<String, Long> byUuid(Path proc) {
    Map<String, Long> out = new HashMap<>();
    try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc, QemuProcesses::isPid)) {
      for (Path p : pids) {
        uuidOf(p).ifPresent(u -> out.put(u, Long.parseLong(p.getFileName().toString())));
      }
    } catch (IOException e) {
      // no /proc: nothing found, and the agent relies on libvirt's events alone
    }
    return out;
  }

  /** Returns whether process {@code pid} is still a QEMU emulator of guest {@code uuid}. */
  public static boolean runs(Path proc, long pid, String uuid) {
    return uuidOf(proc.resolve(Long.toString(pid))).filter(uuid::equalsIgnoreCase).isPresent();
  }

  private static boolean isPid(Path p) {
    String n = p.getFileName().toString();
    return !n.isEmpty() && n.chars().allMatch(Character::isDigit);
  }

  /** The {@code -uuid} of a process whose program is qemu-system-* or qemu-kvm. */
  static Optional<String> uuidOf(Path pidDir) {
    byte[] raw;
    try {
      raw = Files.readAllBytes(pidDir.resolve("cmdline"));
    } catch (IOException e) {
      return Optional.empty(); // gone meanwhile, or not ours to read
    }
    String[] argv = new String(raw, StandardCharsets.UTF_8).split("\0");
    if (argv.length == 0) {
      return Optional.empty(); // a kernel thread or a zombie
    }
    String prog = argv[0].substring(argv[0].lastIndexOf('/') + 1);
    if (!prog.startsWith("qemu-system-") && !prog.equals("qemu-kvm")) {
      return Optional.empty();
    }
    for (int i = 1; i + 1 < argv.length; i++) {
      if (argv[i].equals("-uuid")) {
        return Optional.of(argv[i + 1].toLowerCase(java.util.Locale.ROOT));
      }
    }
    return Optional.empty();
  }
}
