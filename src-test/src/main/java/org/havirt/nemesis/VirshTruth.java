package org.havirt.nemesis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The truth of one test-driver libvirtd: {@code virsh list --all} on a kept session (its domains
 * live only inside the daemon, so there is nothing else to read). A daemon that does not answer
 * within 100 ms, or an error, makes every place UNKNOWN.
 */
final class VirshTruth implements TruthSource {
  private final String node;
  private final List<String> resources;
  private final VirshSession session;

  VirshTruth(String node, String uri, List<String> resources) {
    this.node = node;
    this.resources = List.copyOf(resources);
    this.session = new VirshSession(uri);
  }

  @Override
  public String name() {
    return "virsh " + node;
  }

  @Override
  public List<Fact> sample() {
    List<String> out = session.run("list --all", 100);
    Map<String, String> states = parse(out);
    List<Fact> facts = new ArrayList<>();
    for (String r : resources) {
      Place p = new Place(node, r);
      if (states == null) {
        facts.add(new Fact(p, Copy.UNKNOWN, "libvirtd did not answer"));
        continue;
      }
      String s = states.get(r);
      facts.add(new Fact(p, copy(s), s == null ? "not defined" : s));
    }
    return facts;
  }

  /** Domain name to state, or null when the output is not a listing. */
  static Map<String, String> parse(List<String> out) {
    if (out == null) {
      return null;
    }
    Map<String, String> m = new HashMap<>();
    boolean header = false;
    for (String line : out) {
      String t = line.trim();
      if (t.startsWith("error") || t.contains("error:")) {
        return null;
      }
      if (t.startsWith("Id") && t.contains("Name")) {
        header = true;
        continue;
      }
      if (t.isEmpty() || t.startsWith("---")) {
        continue;
      }
      String[] f = t.split("\\s+", 3);
      if (f.length == 3) {
        m.put(f[1], f[2].trim());
      }
    }
    return header ? m : null;
  }

  static Copy copy(String virshState) {
    if (virshState == null) {
      return Copy.OFF;
    }
    return switch (virshState) {
      case "running", "in shutdown", "idle" -> Copy.RUNNING;
      case "paused" -> Copy.PAUSED;
      default -> Copy.OFF; // shut off, crashed, pmsuspended: not running there
    };
  }

  @Override
  public void close() {
    session.close();
  }
}
