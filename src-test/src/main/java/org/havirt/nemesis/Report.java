package org.havirt.nemesis;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/** Writes a campaign's figures as a Markdown section (the benchmark's input to docs). */
final class Report {
  private Report() {}

  static void write(
      Campaign.Settings s,
      Figures f,
      List<Violation> v,
      int schedules,
      Duration took,
      String summary)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("Seed ")
        .append(s.seed())
        .append(", ")
        .append(s.nodes())
        .append(" nodes, backend ")
        .append(s.backend())
        .append(", ")
        .append(took.toMinutes())
        .append(" min ")
        .append(took.toSecondsPart())
        .append(" s; load average at the end: ")
        .append(Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ", 4)[0])
        .append(", ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores.\n\n`")
        .append(summary)
        .append("`\n\n");
    sb.append(f.table()).append('\n');
    sb.append("The engine's view: ")
        .append(f.failovers.get())
        .append(" failovers (on FAULTED), ")
        .append(f.falseFailovers.get())
        .append(" false failovers (the guest still ran where it")
        .append(" was faulted), ")
        .append(f.engineOps.get())
        .append(" engine operations.\n\n");
    if (!v.isEmpty()) {
      sb.append("Violations:\n\n");
      for (Violation x : v) {
        sb.append("- ").append(x.invariant()).append(": ").append(x.text()).append('\n');
      }
    }
    Files.writeString(s.report(), sb.toString());
  }
}
