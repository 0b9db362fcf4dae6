package org.havirt.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.testing.rhevm.SimModel;
import org.havirt.types.Deadline;
import org.havirt.types.PasswordCipher;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.state.VmState;

/**
 * The RHEV backend at scale against the simulator over real HTTPS: N running VMs, one KVMGuest
 * resource each. A monitor round is every resource monitored at once, as the agent's timers do at a
 * common MonitorInterval; the simulator counts the requests it served. Detection: a VM is stopped
 * in RHEV-M behind the backend's back and timed until a monitor, triggered by the backend's event
 * hint as the agent does, reports it down. Usage: RhevScaleBenchmark N[,N...] ROUNDS TRIALS
 * [REPORT_MD]
 */
public final class RhevScaleBenchmark {
  private RhevScaleBenchmark() {}

  record Row(
      int n,
      List<Double> listings,
      List<Double> requests,
      List<Double> roundMs,
      List<Double> detectMs) {}

  public static void main(String[] args) throws Exception {
    int rounds = Integer.parseInt(args[1]);
    int trials = Integer.parseInt(args[2]);
    Path report = args.length > 3 ? Path.of(args[3]) : null;
    List<Row> rows = new ArrayList<>();
    for (String n : args[0].split(",")) {
      rows.add(run(Integer.parseInt(n), rounds, trials));
    }
    StringBuilder md = new StringBuilder("## Scale (RHEV, simulator)\n\n");
    md.append(
        String.format(
            "N running VMs in the RHEV-M simulator (real HTTPS on loopback), one resource each at"
                + " MonitorInterval 10 s;"
                + " %d monitor rounds of all N at once, then %d VMs stopped in RHEV-M behind the"
                + " backend's back, each timed until a monitor reports it down. RHEV-M has no"
                + " push channel: havirt polls its events feed every second and lists all VMs in"
                + " one request that every monitor of the round shares.%n%n",
            rounds, trials));
    md.append(
        "| VMs | VM listings per round | HTTP requests per round (median) | round ms median"
            + " | detection ms median | p95 |\n|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      md.append(
          String.format(
              "| %d | %.0f | %.0f | %.0f | %.0f | %.0f |%n",
              r.n(),
              Bench.pct(r.listings(), 50),
              Bench.pct(r.requests(), 50),
              Bench.pct(r.roundMs(), 50),
              Bench.pct(r.detectMs(), 50),
              Bench.pct(r.detectMs(), 95)));
    }
    md.append(
        "\nTarget: one request per monitor round for any number of VMs. A polling peer that"
            + " asks RHEV-M once per VM per interval makes N requests per round.\n\n");
    Bench.report(report, md.toString());
  }

  static Row run(int n, int rounds, int trials) throws Exception {
    Path dir = Files.createTempDirectory("havirt-bench-rhev");
    try (RhevmSimulator sim = new RhevmSimulator(dir, 0, "admin@internal", "s3cret!")) {
      sim.model.stepMillis = 0;
      sim.model.addCluster("prod");
      SimModel.Host h1 = sim.model.addHost("h1", "prod");
      List<SimModel.Vm> vms = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        SimModel.Vm v = sim.model.addVm("vm" + i, "prod");
        sim.model.start(v, h1);
        vms.add(v);
      }
      PasswordCipher cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
      Map<String, String> info = sim.rhevmInfo(cipher.encrypt("s3cret!"), "prod");
      List<GuestSpec> specs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        specs.add(
            new GuestSpec(
                "r" + i,
                Map.of(
                    "GuestName", new AttributeValue.Scalar("vm" + i),
                    "RHEVMInfo", new AttributeValue.Association(info),
                    "MonitorInterval", new AttributeValue.Scalar("10"))));
      }
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try (RhevBackend backend =
          new RhevBackend(
              new VmBackendFactory.Settings(
                  Map.of("rhev.host", "h1", "key.file", dir.resolve("havirt.key").toString())))) {
        LinkedBlockingQueue<String> hints = new LinkedBlockingQueue<>();
        backend.subscribe((guest, detail) -> hints.add(guest == null ? "*" : guest));
        round(backend, specs, pool); // log in and warm up
        List<Double> listings = new ArrayList<>();
        List<Double> requests = new ArrayList<>();
        List<Double> roundMs = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          // A round starts when the last listing is older than a monitor accepts (MonitorInterval
          // 10 s tolerates 9 s), as at every interval of a running agent.
          Thread.sleep(9_100); // wall-clock age is the condition being set up, not a wait for work
          long l0 = sim.vmListings.get();
          long q0 = sim.requests.get();
          long t = System.nanoTime();
          round(backend, specs, pool);
          roundMs.add((System.nanoTime() - t) / 1e6);
          listings.add((double) (sim.vmListings.get() - l0));
          requests.add((double) (sim.requests.get() - q0));
        }
        List<Double> detect = new ArrayList<>();
        for (int i = 0; i < trials && i < n; i++) {
          GuestSpec g = specs.get(i);
          hints.clear();
          long t = System.nanoTime();
          sim.model.stop(vms.get(i));
          while (true) {
            String hint = hints.poll(30, TimeUnit.SECONDS);
            if (hint == null) {
              throw new IllegalStateException("no event hint for vm" + i);
            }
            if ((hint.equals("*") || hint.equals("vm" + i))
                && backend.inspect(g, Deadline.in(Duration.ofSeconds(10))).state()
                    == VmState.DOWN) {
              detect.add((System.nanoTime() - t) / 1e6);
              break;
            }
          }
        }
        System.out.printf(
            "rhev-scale %d: listings/round %.0f, requests/round %.0f%n",
            n, Bench.pct(listings, 50), Bench.pct(requests, 50));
        return new Row(n, listings, requests, roundMs, detect);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  static void round(RhevBackend backend, List<GuestSpec> specs, ExecutorService pool)
      throws Exception {
    List<Future<?>> all = new ArrayList<>();
    for (GuestSpec g : specs) {
      all.add(pool.submit(() -> backend.inspect(g, Deadline.in(Duration.ofSeconds(30)))));
    }
    for (Future<?> f : all) {
      f.get();
    }
  }
}
