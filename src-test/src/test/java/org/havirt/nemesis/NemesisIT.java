package org.havirt.nemesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.havirt.testing.PrivateLibvirtd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI's slice of the nemesis (docs/reliability.md): a 2-minute campaign on two nodes for each
 * backend mix, with a fixed seed each, so a failure here is rerun exactly with {@code
 * src-test/nemesis/run.sh --seed S --minutes 2 --nodes 2 --backend B}. Any violation fails it, with
 * the violations' reports (the seed, the invariant, the last 100 events) as the message. Every
 * backend exists, so none of the three is skipped for want of one: a skip would hide a regression.
 * Skipped only where the machine cannot run agents at all (no libvirt test driver, no built
 * distribution).
 *
 * <p>The three campaigns run side by side (each has its own directory, libvirtds, agents and
 * simulator; the package keeps no shared mutable state): one after the other they took about 7 of
 * CI's 30 minutes. Side by side they also load the machine more, which the campaign's bounds are
 * stated for (docs/reliability.md).
 */
class NemesisIT {
  static final double MINUTES = 2;
  static final long KVM_SEED = 16001;
  static final long RHEV_SEED = 16002;
  static final long BOTH_SEED = 16003;

  @TempDir static Path dir;

  static final Map<String, Future<Campaign.Result>> RUNS = new ConcurrentHashMap<>();
  static ExecutorService pool;

  @BeforeAll
  static void startAll() {
    if (PrivateLibvirtd.testDriverUnavailable().isPresent()
        || !Files.isExecutable(AgentNode.HAVIRT)) {
      return; // each test says why it is skipped
    }
    pool = Executors.newFixedThreadPool(3);
    start("kvm", KVM_SEED);
    start("rhev", RHEV_SEED);
    start("both", BOTH_SEED);
    pool.shutdown();
  }

  static void start(String backend, long seed) {
    Campaign.Settings s =
        new Campaign.Settings(seed, MINUTES, 2, backend, dir.resolve(backend), null);
    RUNS.put(backend, pool.submit(() -> new Campaign(s).run()));
  }

  @AfterAll
  static void stopAll() throws InterruptedException {
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(2, TimeUnit.MINUTES);
    }
  }

  @Test
  void kvm() throws Exception {
    campaign("kvm", KVM_SEED);
  }

  @Test
  void rhev() throws Exception {
    campaign("rhev", RHEV_SEED);
  }

  @Test
  void both() throws Exception {
    campaign("both", BOTH_SEED);
  }

  private void campaign(String backend, long seed) throws Exception {
    Optional<String> why = PrivateLibvirtd.testDriverUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    assumeTrue(Files.isExecutable(AgentNode.HAVIRT), "needs the built distribution");
    // A 2-minute campaign ends within its last schedule's settle bound; 15 minutes is a hang.
    Campaign.Result r = RUNS.get(backend).get(15, TimeUnit.MINUTES);
    System.out.println(r.summary());
    assertThat(r.violations())
        .as(
            "%s%n%s",
            r.summary(),
            r.violations().stream().map(v -> v.report(seed)).collect(Collectors.joining("\n")))
        .isEmpty();
    assertThat(r.schedules()).isPositive();
    assertThat(r.faults()).isPositive();
    assertThat(r.operations()).isPositive();
  }
}
