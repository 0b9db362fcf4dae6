package org.havirt.bench;

import java.util.Arrays;
import java.util.List;
import org.havirt.config.ConfigParser;
import org.havirt.config.Diagnostic;
import org.havirt.config.Validator;

/**
 * Times parsing (and parsing plus validation) of a generated main.cf of a given size. Run it
 * through {@code src-test/bench/run.sh config-parse}; it prints a table of medians.
 *
 * <p>There is no peer to compare with: VCS's hacf is proprietary and not installable here.
 */
public final class ConfigParseBenchmark {
  private ConfigParseBenchmark() {}

  public static void main(String[] args) throws java.io.IOException {
    int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    String text = generate(megabytes * 1024L * 1024L);
    int resources = countResources(text);
    // Warm-up: let the JIT compile the parser before anything is measured.
    for (int i = 0; i < 5; i++) {
      ConfigParser.parse("bench.cf", text);
    }
    long[] parse = new long[runs];
    long[] validate = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      ConfigParser.ParseResult r = ConfigParser.parse("bench.cf", text);
      long t1 = System.nanoTime();
      List<Diagnostic> d = Validator.validate(List.of(r.file()));
      long t2 = System.nanoTime();
      if (!r.diagnostics().isEmpty() || d.stream().anyMatch(Diagnostic::isError)) {
        throw new IllegalStateException("generated config is not clean: " + r.diagnostics() + d);
      }
      parse[i] = t1 - t0;
      validate[i] = t2 - t0;
    }
    double mb = text.length() / (1024.0 * 1024.0);
    StringBuilder md = new StringBuilder("## Configuration parsing\n\n");
    md.append(
        String.format(
            "A generated %.1f MB `main.cf` (%d KVMGuest resources with associations, per-system"
                + " values, dependencies and comments), %d runs after 5 warm-up runs. No peer is"
                + " measured: VCS's `hacf` is proprietary and cannot be installed here.%n%n",
            mb, resources, runs));
    md.append("| step | median ms | p95 ms | MB/s (median) |\n|---|---|---|---|\n");
    row(md, "parse", parse, mb);
    row(md, "parse + validate", validate, mb);
    md.append('\n');
    System.out.print(md);
    if (args.length > 2) {
      java.nio.file.Files.writeString(java.nio.file.Path.of(args[2]), md);
    }
  }

  private static void row(StringBuilder md, String name, long[] nanos, double mb) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    double median = s[s.length / 2] / 1e6;
    double p95 = s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.95) - 1)] / 1e6;
    md.append(
        String.format("| %s | %.0f | %.0f | %.0f |%n", name, median, p95, mb / (median / 1000)));
  }

  private static int countResources(String text) {
    int n = 0;
    for (int i = text.indexOf("\nKVMGuest "); i >= 0; i = text.indexOf("\nKVMGuest ", i + 1)) {
      n++;
    }
    return n;
  }

  /**
   * Generates a realistic main.cf: groups of RHEV and KVM guests with dependencies and comments.
   */
  public static String generate(long bytes) {
    StringBuilder sb = new StringBuilder((int) bytes + 4096);
    sb.append(
        "cluster bench (\n    UserNames = { admin = abcdefg }\n    Administrators = { admin }\n)\n\n");
    for (int s = 0; s < 4; s++) {
      sb.append("system sys").append(s).append(" (\n)\n\n");
    }
    for (int g = 0; sb.length() < bytes; g++) {
      sb.append("// group ").append(g).append(" holds two guests\n");
      sb.append("group grp")
          .append(g)
          .append(" (\n    SystemList = { sys0 = 0, sys1 = 1, sys2 = 2 }\n")
          .append("    AutoStartList = { sys0 }\n)\n\n");
      sb.append("KVMGuest rhev")
          .append(g)
          .append(" (\n")
          .append("    RHEVMInfo = { Enabled = 1, URL = \"https://rhevm.example.com:443\",\n")
          .append("                  User = \"admin@internal\"\n")
          .append("                  Password = bncNfnOnkNphChdHe, Cluster = dc2_cluster1,\n")
          .append("                  UseManualRHEVMFencing = 1 }\n")
          .append("    GuestName = rhevvm")
          .append(g)
          .append('\n')
          .append("    DelayAfterGuestOnline = 20\n    DelayAfterGuestOffline = 35\n")
          .append("    DROpts = { ConfigureNetwork = 1, IPAddress = \"10.0.0.")
          .append(g % 250)
          .append(
              "\", Netmask = \"255.255.255.0\", Gateway = \"10.0.0.1\", DNSServers = \"10.0.0.2 10.0.0.3\" }\n)\n\n");
      sb.append("KVMGuest kvm")
          .append(g)
          .append(" (\n    GuestName = kvmvm")
          .append(g)
          .append('\n')
          .append("    GuestConfigFilePath@sys0 = \"/shared/xml/kvmvm")
          .append(g)
          .append(".xml\"\n")
          .append("    GuestConfigFilePath@sys1 = \"/shared/xml/kvmvm")
          .append(g)
          .append(".xml\"\n")
          .append("    SyncDir = \"/shared/sync\" // written back on offline\n)\n\n");
      sb.append("rhev").append(g).append(" requires kvm").append(g).append("\n\n");
    }
    return sb.toString();
  }
}
