package org.havirt.bench;

import com.fasterxml.jackson.databind.JsonNode;
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
 * The cost of one monitor of one running VM, against the same private test-driver libvirtd:
 *
 * <ul>
 *   <li>havirt in the daemon: {@code monitor} requests on the engine socket, the agent's CPU time
 *       (summed over its threads from /proc/PID/task/T/schedstat, in nanoseconds) per request;
 *   <li>havirt through its OCF agent: {@code ocf/KVMGuest monitor}, the script's CPU plus the
 *       agent's share;
 *   <li>Pacemaker's {@code ocf:heartbeat:VirtualDomain monitor};
 *   <li>{@code virsh domstate}, the floor of any agent that shells out to virsh.
 * </ul>
 *
 * Commands are timed by {@code bench/cpu-of.py} (getrusage of the children, in microseconds).
 * Usage: MonitorCostBenchmark HAVIRT_HOME CPU_OF_PY RUNS [REPORT_MD]
 */
public final class MonitorCostBenchmark {
  private MonitorCostBenchmark() {}

  record Cost(List<Double> cpuMs, List<Double> wallMs) {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Path cpuOf = Path.of(args[1]);
    int runs = Integer.parseInt(args[2]);
    Path report = args.length > 3 ? Path.of(args[3]) : null;
    Path dir = Files.createTempDirectory("havirt-bench-monitor");
    try (PrivateLibvirtd d = PrivateLibvirtd.testDriver(dir.resolve("tdrv"))) {
      // VirtualDomain reads the name from the XML line by line: <name> on its own line.
      Path xml = Bench.startTestGuest(d, dir, "g0");
      Path mainCf =
          Files.writeString(
              dir.resolve("main.cf"),
              "group g ( SystemList = { n1 = 0 } )\n"
                  + "KVMGuest r0 ( GuestName = g0 MonitorInterval = 3600 )\n");
      Process agent =
          Bench.startAgent(
              home.resolve("bin/havirt"), dir, mainCf, Map.of("HAVIRT_LIBVIRT_URI", d.uri()));
      Map<String, Cost> costs = new LinkedHashMap<>();
      try (Bench.Client c = new Bench.Client(dir.resolve("agent.sock"))) {
        costs.put("havirt, in the daemon (socket request)", daemon(c, agent.pid(), runs * 10));

        Map<String, String> ocf = new LinkedHashMap<>();
        ocf.put("OCF_ROOT", "/usr/lib/ocf");
        ocf.put("OCF_RESOURCE_INSTANCE", "r0");
        ocf.put("OCF_RESKEY_GuestName", "g0");
        ocf.put("HAVIRT_SOCKET", dir.resolve("agent.sock").toString());
        long agentBefore = cpuNanos(agent.pid());
        Cost script =
            commands(cpuOf, runs, ocf, home.resolve("ocf/KVMGuest").toString(), "monitor");
        double agentShare = (cpuNanos(agent.pid()) - agentBefore) / 1e6 / runs;
        List<Double> withAgent = new ArrayList<>();
        for (double v : script.cpuMs()) {
          withAgent.add(v + agentShare);
        }
        costs.put(
            "havirt, OCF round trip (`ocf/KVMGuest monitor`)",
            new Cost(withAgent, script.wallMs()));
      } finally {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
      }
      costs.put(
          "`virsh domstate`",
          commands(cpuOf, runs, Map.of(), "virsh", "-c", d.uri(), "domstate", "g0"));
      Map<String, String> vd = new LinkedHashMap<>();
      vd.put("OCF_ROOT", "/usr/lib/ocf");
      vd.put("OCF_RESOURCE_INSTANCE", "vd");
      vd.put("OCF_RESKEY_config", xml.toString());
      vd.put("OCF_RESKEY_hypervisor", d.uri());
      vd.put("OCF_RESKEY_CRM_meta_timeout", "30000");
      vd.put("HA_RSCTMP", Files.createDirectories(dir.resolve("rsctmp")).toString());
      costs.put(
          "Pacemaker VirtualDomain `monitor`",
          commands(cpuOf, runs, vd, "/usr/lib/ocf/resource.d/heartbeat/VirtualDomain", "monitor"));
      Bench.report(report, table(costs, runs));
    }
  }

  /** {@code n} monitor requests, in batches of 100; CPU per request is the batch's average. */
  static Cost daemon(Bench.Client c, long pid, int n) throws Exception {
    List<Double> cpu = new ArrayList<>();
    List<Double> wall = new ArrayList<>();
    int id = 100;
    for (int i = 0; i < 1000; i++) { // warm-up: JIT and connection set-up are not a monitor's cost
      c.call(++id, "{\"id\":" + id + ",\"op\":\"monitor\",\"resource\":\"r0\"}");
    }
    for (int b = 0; b < n / 100; b++) {
      long before = cpuNanos(pid);
      for (int i = 0; i < 100; i++) {
        long t = System.nanoTime();
        JsonNode r = c.call(++id, "{\"id\":" + id + ",\"op\":\"monitor\",\"resource\":\"r0\"}");
        wall.add((System.nanoTime() - t) / 1e6);
        if (!r.path("ok").asBoolean()
            || !"ONLINE".equals(r.path("status").path("state").asText())) {
          throw new IllegalStateException("monitor did not say ONLINE: " + r);
        }
      }
      cpu.add((cpuNanos(pid) - before) / 1e6 / 100);
    }
    return new Cost(cpu, wall);
  }

  /** Runs {@code cmd} {@code runs} times under cpu-of.py; every run must exit 0 (running). */
  static Cost commands(Path cpuOf, int runs, Map<String, String> env, String... cmd)
      throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("python3", cpuOf.toString(), "" + runs));
    argv.addAll(List.of(cmd));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("cpu-of failed: " + out);
    }
    List<Double> cpu = new ArrayList<>();
    List<Double> wall = new ArrayList<>();
    for (String line : out.split("\n")) {
      String[] f = line.trim().split(" ");
      if (!f[2].equals("0")) {
        throw new IllegalStateException(
            String.join(" ", cmd) + " exited " + f[2] + ": not a monitor");
      }
      wall.add(Double.parseDouble(f[0]));
      cpu.add(Double.parseDouble(f[1]));
    }
    return new Cost(cpu, wall);
  }

  /** CPU time of every thread of {@code pid}, in nanoseconds. */
  static long cpuNanos(long pid) throws IOException {
    long sum = 0;
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        try {
          sum += Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
        } catch (IOException e) {
          // the thread ended between the listing and the read
        }
      }
    }
    return sum;
  }

  static String table(Map<String, Cost> costs, int runs) {
    double vdCpu = Bench.pct(costs.get("Pacemaker VirtualDomain `monitor`").cpuMs(), 50);
    StringBuilder md = new StringBuilder("## Monitor cost\n\n");
    md.append(
        String.format(
            "One monitor of one running VM on the same private test-driver libvirtd. Commands"
                + " ran %d times each; the daemon answered %d socket requests (CPU per request"
                + " averaged over batches of 100).%n%n",
            runs, runs * 10));
    md.append(
        "| monitor | CPU ms median | CPU ms p95 | wall ms median | wall ms p95"
            + " | VirtualDomain's CPU ÷ this |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (var e : costs.entrySet()) {
      Cost c = e.getValue();
      md.append(
          String.format(
              "| %s | %.3f | %.3f | %.2f | %.2f | %.0f× |%n",
              e.getKey(),
              Bench.pct(c.cpuMs(), 50),
              Bench.pct(c.cpuMs(), 95),
              Bench.pct(c.wallMs(), 50),
              Bench.pct(c.wallMs(), 95),
              vdCpu / Bench.pct(c.cpuMs(), 50)));
    }
    md.append(
        "\nTargets: in the daemon at least 100× less CPU than VirtualDomain per monitor; an OCF"
            + " round trip faster (wall) than VirtualDomain's monitor.\n\n");
    return md.toString();
  }
}
