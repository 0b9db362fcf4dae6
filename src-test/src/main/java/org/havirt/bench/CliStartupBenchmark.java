package org.havirt.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.PrivateLibvirtd;

/**
 * How long an administrator's command takes, start to exit, against the same private test-driver
 * libvirtd and one running guest: {@code havirt status} (a running daemon answers), {@code havirt
 * invoke monitor}, {@code havirtverify --help}, each with the distribution's class-data archive and
 * without it ({@code HAVIRT_CDS=off}); {@code virsh domstate} of the same guest; {@code crm_mon -1}
 * reading a small CIB file ({@code CIB_file}, no cluster runs). Also the daemon's start to
 * accepting on its socket, with and without the archive.
 *
 * <p>Commands are timed by {@code bench/cpu-of.py} (wall, and user + system CPU of the command and
 * its children). Usage: CliStartupBenchmark HAVIRT_HOME CPU_OF_PY RUNS AGENT_STARTS [REPORT_MD]
 */
public final class CliStartupBenchmark {
  private CliStartupBenchmark() {}

  /** Wall and CPU per run; {@code note}: how many answers were not the usual one. */
  record Cost(List<Double> wallMs, List<Double> cpuMs, String note) {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Path cpuOf = Path.of(args[1]);
    int runs = Integer.parseInt(args[2]);
    int starts = Integer.parseInt(args[3]);
    Path report = args.length > 4 ? Path.of(args[4]) : null;
    Path dir = Files.createTempDirectory("havirt-bench-cli");
    Map<String, Cost> costs = new LinkedHashMap<>();
    Map<String, Cost> agentStarts = new LinkedHashMap<>();
    try (PrivateLibvirtd d = PrivateLibvirtd.testDriver(dir.resolve("tdrv"))) {
      Bench.startTestGuest(d, dir, "g0");
      Files.copy(home.resolve("conf/types.cf"), dir.resolve("types.cf"));
      Files.copy(home.resolve("conf/KVMGuestTypes.cf"), dir.resolve("KVMGuestTypes.cf"));
      Path mainCf =
          Files.writeString(
              dir.resolve("main.cf"),
              "include \"types.cf\"\ngroup g ( SystemList = { n1 = 0 } )\n"
                  + "KVMGuest r0 ( GuestName = g0 MonitorInterval = 3600 )\n");
      Map<String, String> env = new LinkedHashMap<>();
      env.put("HAVIRT_SOCKET", dir.resolve("agent.sock").toString());
      env.put("HAVIRT_LIBVIRT_URI", d.uri());
      env.put("HAVIRT_STATE_DIR", dir.resolve("state").toString());
      env.put("HAVIRT_LOG_DIR", dir.resolve("log").toString());
      String havirt = home.resolve("bin/havirt").toString();
      String verify = home.resolve("bin/havirtverify").toString();

      Process agent = Bench.startAgent(home.resolve("bin/havirt"), dir, mainCf, Map.of());
      try {
        for (String cds : List.of("on", "off")) {
          Map<String, String> e = new LinkedHashMap<>(env);
          e.put("HAVIRT_CDS", cds);
          String with = cds.equals("on") ? "" : ", no archive (`HAVIRT_CDS=off`)";
          costs.put(
              "`havirt status`" + with, commands(cpuOf, runs, e, List.of(0), havirt, "status"));
          costs.put(
              "`havirt invoke monitor`" + with,
              commands(
                  cpuOf,
                  runs,
                  e,
                  List.of(110, 99),
                  havirt,
                  "invoke",
                  "monitor",
                  "r0",
                  "-c",
                  mainCf.toString(),
                  "--sys",
                  "n1"));
          costs.put(
              "`havirtverify --help`" + with,
              commands(cpuOf, runs, e, List.of(0), verify, "--help"));
        }
      } finally {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
      costs.put(
          "`virsh domstate` (same guest)",
          commands(cpuOf, runs, Map.of(), List.of(0), "virsh", "-c", d.uri(), "domstate", "g0"));
      Path cib = Files.writeString(dir.resolve("cib.xml"), CIB);
      costs.put(
          "`crm_mon -1` (`CIB_file`, no cluster)",
          commands(cpuOf, runs, Map.of("CIB_file", cib.toString()), List.of(0), "crm_mon", "-1"));

      for (String cds : List.of("on", "off")) {
        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
          Path run = Files.createDirectories(dir.resolve("agent-" + cds + "-" + i));
          long t = System.nanoTime();
          Process a =
              Bench.startAgent(home.resolve("bin/havirt"), run, mainCf, Map.of("HAVIRT_CDS", cds));
          wall.add((System.nanoTime() - t) / 1e6);
          cpu.add(Bench.cpuTicks(a.pid()) * 10.0);
          a.destroy();
          a.waitFor(20, TimeUnit.SECONDS);
        }
        agentStarts.put(
            cds.equals("on") ? "`havirt agent`" : "`havirt agent`, no archive (`HAVIRT_CDS=off`)",
            new Cost(wall, cpu, ""));
      }
    }
    Bench.report(report, table(costs, agentStarts, runs, starts));
  }

  /** A one-node CIB with one VirtualDomain resource, started: what crm_mon -1 summarises. */
  static final String CIB =
      "<cib crm_feature_set=\"3.17.4\" validate-with=\"pacemaker-3.9\" epoch=\"1\""
          + " num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\" dc-uuid=\"1\">\n"
          + "  <configuration>\n    <crm_config/>\n"
          + "    <nodes><node id=\"1\" uname=\"n1\"/></nodes>\n"
          + "    <resources>\n"
          + "      <primitive id=\"vm\" class=\"ocf\" provider=\"heartbeat\" type=\"VirtualDomain\">\n"
          + "        <instance_attributes id=\"vm-ia\">\n"
          + "          <nvpair id=\"vm-cfg\" name=\"config\" value=\"/etc/vm.xml\"/>\n"
          + "        </instance_attributes>\n"
          + "      </primitive>\n    </resources>\n    <constraints/>\n  </configuration>\n"
          + "  <status>\n"
          + "    <node_state id=\"1\" uname=\"n1\" in_ccm=\"true\" crmd=\"online\" join=\"member\""
          + " expected=\"member\">\n"
          + "      <lrm id=\"1\"><lrm_resources>\n"
          + "        <lrm_resource id=\"vm\" class=\"ocf\" provider=\"heartbeat\" type=\"VirtualDomain\">\n"
          + "          <lrm_rsc_op id=\"vm_last_0\" operation_key=\"vm_start_0\" operation=\"start\""
          + " crm-debug-origin=\"do_update_resource\" crm_feature_set=\"3.17.4\""
          + " transition-key=\"1:1:0:00000000-0000-0000-0000-000000000000\""
          + " transition-magic=\"0:0;1:1:0:00000000-0000-0000-0000-000000000000\""
          + " call-id=\"1\" rc-code=\"0\" op-status=\"0\" interval=\"0\" exec-time=\"1\""
          + " queue-time=\"0\" on_node=\"n1\"/>\n"
          + "        </lrm_resource>\n      </lrm_resources></lrm>\n    </node_state>\n"
          + "  </status>\n</cib>\n";

  /**
   * Runs {@code cmd} {@code runs} times under cpu-of.py; every run must exit with one of {@code
   * ok}, the first of which is the usual answer; the others are counted in the row's name.
   */
  static Cost commands(
      Path cpuOf, int runs, Map<String, String> env, List<Integer> ok, String... cmd)
      throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("python3", cpuOf.toString(), "" + (runs + 2)));
    argv.addAll(List.of(cmd));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("cpu-of failed: " + out);
    }
    List<Double> wall = new ArrayList<>();
    List<Double> cpu = new ArrayList<>();
    int usual = ok.get(0);
    Map<Integer, Integer> other = new java.util.TreeMap<>();
    String[] lines = out.split("\n");
    for (int i = 2; i < lines.length; i++) { // the first two warm the page cache
      String[] f = lines[i].trim().split(" ");
      if (!ok.contains(Integer.parseInt(f[2]))) {
        throw new IllegalStateException(String.join(" ", cmd) + " exited " + f[2]);
      }
      if (Integer.parseInt(f[2]) != usual) {
        other.merge(Integer.parseInt(f[2]), 1, Integer::sum);
      }
      wall.add(Double.parseDouble(f[0]));
      cpu.add(Double.parseDouble(f[1]));
    }
    StringBuilder note = new StringBuilder();
    other.forEach((code, n) -> note.append(String.format(" (%d of %d exited %d)", n, runs, code)));
    return new Cost(wall, cpu, note.toString());
  }

  static String table(Map<String, Cost> costs, Map<String, Cost> starts, int runs, int n) {
    StringBuilder md = new StringBuilder("## CLI start-up\n\n");
    md.append(
        String.format(
            "One administrator's command, start to exit, %d runs each (after 2 unmeasured), on"
                + " the same private test-driver libvirtd with one running guest; `havirt status`"
                + " asks a running daemon. `crm_mon -1` reads a one-node, one-resource CIB from a"
                + " file (`CIB_file`): no cluster runs here, so its figure has no network round"
                + " trip. `invoke monitor` answers 110 (ONLINE) or, when the loaded machine makes"
                + " it late, 99 (UNKNOWN): rows count the other answers. CPU is user + system of"
                + " the command and its children. Goal: under"
                + " 150 ms wall for the three havirt commands.%n%n",
            runs));
    md.append("| command | wall ms median | wall ms p95 | CPU ms median | CPU ms p95 |\n");
    md.append("|---|---|---|---|---|\n");
    for (var e : costs.entrySet()) {
      row(md, e.getKey(), e.getValue());
    }
    md.append(
        String.format(
            "%nThe daemon, from `havirt agent` to its socket accepting (before its first probe"
                + " ends), %d starts each; CPU is the daemon's at that moment:%n%n",
            n));
    md.append("| daemon start | wall ms median | wall ms p95 | CPU ms median | CPU ms p95 |\n");
    md.append("|---|---|---|---|---|\n");
    for (var e : starts.entrySet()) {
      row(md, e.getKey(), e.getValue());
    }
    md.append('\n');
    return md.toString();
  }

  private static void row(StringBuilder md, String name, Cost c) {
    md.append(
        String.format(
            "| %s | %.0f | %.0f | %.0f | %.0f |%n",
            name + c.note(),
            Bench.pct(c.wallMs(), 50),
            Bench.pct(c.wallMs(), 95),
            Bench.pct(c.cpuMs(), 50),
            Bench.pct(c.cpuMs(), 95)));
  }
}
