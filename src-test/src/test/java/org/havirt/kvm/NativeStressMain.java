package org.havirt.kvm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.backend.kvm.KvmSettings;
import org.havirt.backend.kvm.LibvirtBackend;
import org.havirt.types.Deadline;
import org.havirt.types.Ticker;
import org.havirt.types.backend.GuestSpec;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The body of {@link KvmNativeStressIT}, in a JVM of its own whose glibc checks the heap
 * (MALLOC_CHECK_, MALLOC_PERTURB_): concurrent monitors of the same guests, guests undefined and
 * defined again behind the backend's back, and the backend closed (an agent stop) under running
 * monitors, round after round, while the test restarts and freezes libvirtd. Exits 0 when it lived
 * to the end; a use-after-free or double free crashes it (exit 134).
 *
 * <p>Arguments: libvirt URI, state directory, seconds to run.
 */
public final class NativeStressMain {
  static final List<String> GUESTS = List.of("ns0", "ns1", "ns2", "ns3", "ns4", "ns5");

  private NativeStressMain() {}

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    Path state = Path.of(args[1]);
    long end = System.nanoTime() + Duration.ofSeconds(Long.parseLong(args[2])).toNanos();
    AtomicBoolean over = new AtomicBoolean();
    AtomicLong monitors = new AtomicLong();
    AtomicLong churns = new AtomicLong();
    Thread chaos = new Thread(() -> churn(uri, over, churns), "behind-the-back");
    chaos.setDaemon(true);
    chaos.start();
    int rounds = 0;
    while (System.nanoTime() < end) {
      rounds++;
      LibvirtBackend backend =
          new LibvirtBackend(
              new KvmSettings(
                  uri, state, "unused://%h", Optional.empty(), 8, Duration.ofSeconds(3)),
              Ticker.SYSTEM);
      ResourceAgent agent = new ResourceAgent(backend, Ticker.SYSTEM);
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        Thread th =
            new Thread(
                () -> {
                  while (!stop.get()) {
                    String g = GUESTS.get(ThreadLocalRandom.current().nextInt(GUESTS.size()));
                    GuestSpec spec = Guests.spec(g, "MonitorTimeout", "1");
                    agent.monitor(spec);
                    if (ThreadLocalRandom.current().nextInt(10) == 0) {
                      backend.controlTrouble(
                          spec, Duration.ofSeconds(2), Deadline.in(Duration.ofMillis(300)));
                    }
                    monitors.incrementAndGet();
                  }
                },
                "monitor-" + t);
        th.setDaemon(true);
        th.start();
        threads.add(th);
      }
      Thread.sleep(500 + ThreadLocalRandom.current().nextInt(2500));
      backend.close(); // the agent stopping, with monitors still running
      Thread.sleep(ThreadLocalRandom.current().nextInt(200));
      stop.set(true);
      for (Thread th : threads) {
        th.join(30_000);
      }
    }
    over.set(true);
    chaos.join(30_000);
    System.out.println(
        "native stress survived: rounds="
            + rounds
            + " monitors="
            + monitors.get()
            + " redefinitions="
            + churns.get());
    System.exit(0);
  }

  /** Undefines and defines the guests again behind the backend's back, over its own connection. */
  private static void churn(String uri, AtomicBoolean over, AtomicLong churns) {
    Connect c = null;
    while (!over.get()) {
      try {
        if (c == null) {
          c = new Connect(uri);
        }
        String g = GUESTS.get(ThreadLocalRandom.current().nextInt(GUESTS.size()));
        Domain d = null;
        try {
          d = c.domainLookupByName(g);
        } catch (LibvirtException notDefined) {
          // defined below
        }
        if (d == null) {
          Domain n = c.domainDefineXML(Guests.testXml(g));
          n.create();
          n.free();
        } else {
          if (d.isActive() == 1) {
            d.destroy();
          }
          d.undefine();
          d.free();
        }
        churns.incrementAndGet();
      } catch (LibvirtException e) {
        // libvirtd restarting or frozen: open a new connection and go on
        if (c != null) {
          try {
            c.close();
          } catch (LibvirtException ignored) {
            // gone
          }
          c = null;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }
}
