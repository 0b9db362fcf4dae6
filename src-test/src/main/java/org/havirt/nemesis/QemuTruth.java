package org.havirt.nemesis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The truth of one QEMU libvirtd, read from the disk and {@code /proc} without asking libvirtd (so
 * it holds while libvirtd is frozen or dead): libvirtd keeps an active domain's status in {@code
 * run/qemu/<name>.xml} ({@code <domstatus state=… reason=… pid=…>}), and the qemu process is alive
 * or not. A status file whose qemu is gone (killed, a zombie) is OFF: libvirtd has not noticed yet,
 * but the guest no longer runs.
 */
final class QemuTruth implements TruthSource {
  private static final Pattern STATUS =
      Pattern.compile("<domstatus state='([a-z]+)' reason='([a-z-]+)' pid='(\\d+)'");

  private final String node;
  private final Path runQemu;
  private final List<String> resources;

  QemuTruth(String node, Path libvirtdDir, List<String> resources) {
    this.node = node;
    this.runQemu = libvirtdDir.resolve("run/qemu");
    this.resources = List.copyOf(resources);
  }

  @Override
  public String name() {
    return "qemu " + node;
  }

  @Override
  public List<Fact> sample() {
    List<Fact> facts = new ArrayList<>();
    for (String r : resources) {
      Place p = new Place(node, r);
      String head;
      try {
        head =
            new String(
                readHead(runQemu.resolve(r + ".xml")), java.nio.charset.StandardCharsets.UTF_8);
      } catch (java.nio.file.NoSuchFileException e) {
        facts.add(new Fact(p, Copy.OFF, "no status file"));
        continue;
      } catch (IOException e) {
        facts.add(new Fact(p, Copy.UNKNOWN, e.toString()));
        continue;
      }
      Matcher m = STATUS.matcher(head);
      if (!m.find()) {
        // being written (libvirtd writes a temporary file and renames it, so rarely seen)
        facts.add(new Fact(p, Copy.UNKNOWN, "status file without domstatus"));
        continue;
      }
      String state = m.group(1);
      String reason = m.group(2);
      long pid = Long.parseLong(m.group(3));
      if (!alive(pid)) {
        facts.add(new Fact(p, Copy.OFF, "qemu " + pid + " is gone (status " + state + ")"));
        continue;
      }
      Copy c =
          switch (state) {
            case "running", "blocked" -> Copy.RUNNING;
            case "paused" ->
                reason.startsWith("migration") || reason.equals("starting-up")
                    ? Copy.MIGRATING
                    : Copy.PAUSED;
            default -> Copy.RUNNING; // shutdown (in shutdown), pmsuspended: qemu still holds it
          };
      facts.add(new Fact(p, c, state + "/" + reason + " pid " + pid));
    }
    return facts;
  }

  private static byte[] readHead(Path f) throws IOException {
    try (var in = Files.newInputStream(f)) {
      return in.readNBytes(512);
    }
  }

  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      int close = stat.lastIndexOf(')');
      char state = stat.charAt(close + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {}
}
