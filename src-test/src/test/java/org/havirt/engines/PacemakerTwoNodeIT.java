package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.havirt.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pacemaker end to end on two nodes: a real corosync + Pacemaker cluster of two network and mount
 * namespaces on this machine, each with its own libvirtd (QEMU driver) and havirt agent ({@code
 * src-test/pacemaker/lab.sh}). The same scenarios ({@code scenarios.sh}) run for {@code
 * ocf:havirt:KVMGuest} and for {@code ocf:heartbeat:VirtualDomain} with the same TCG guest ({@link
 * TestGuest}: a real kernel that powers off on the ACPI power button) and operations, and without
 * {@code force_stop}: start, restart after {@code kill -9} of qemu, live migration with {@code
 * crm_resource --move}, failover when the guest's node crashes, a split brain (fencing off, only
 * Pacemaker killed on the guest's node) and a clean stop, which must be the guest's own shutdown.
 * The timings of both go to {@code target/pacemaker-two-node.md}. For havirt alone (VirtualDomain
 * has no daemon), its agent is restarted under the running guest three ways ({@code restarts.sh}):
 * killed and restarted by its supervisor 2 s later, restarted like {@code systemctl restart}, and
 * upgraded by installing the .deb over itself inside the guest's node; and a guest whose disk fails
 * writes on one node is failed over to the other ({@code ioerror.sh}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PacemakerTwoNodeIT {
  static final Path TOP = Path.of("..").toAbsolutePath().normalize();
  static final Path LAB_SH = TOP.resolve("src-test/pacemaker/lab.sh");
  static final Path SCENARIOS = TOP.resolve("src-test/pacemaker/scenarios.sh");
  static final Path REPORT = TOP.resolve("src-test/target/pacemaker-two-node.md");
  static final List<String> TIMED =
      List.of(
          "start",
          "restart-after-kill",
          "live-migration",
          "node-crash-failover",
          "split-brain-refused",
          "clean-stop",
          "io-failover",
          "io-written");

  /** The agent restarts of {@code restarts.sh}, in the order they run. */
  static final List<String> RESTARTS = List.of("agent-kill9", "agent-restart", "agent-upgrade");

  static final Map<String, Map<String, String>> results = new LinkedHashMap<>();
  static boolean labUp;

  /** The test guest's kernel and initramfs, which lab.sh copies where both nodes see them. */
  static Map<String, String> guestEnv = Map.of();

  record Run(int exit, String out) {}

  static Run run(long timeoutSeconds, Path log, String... cmd)
      throws IOException, InterruptedException {
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().putAll(guestEnv);
    Process p =
        b.redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(List.of(cmd) + " did not finish in " + timeoutSeconds + " s");
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  static boolean onPath(String tool) {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  @BeforeAll
  static void startTheCluster() throws Exception {
    assumeTrue(
        "root".equals(System.getProperty("user.name")),
        "the two-node lab needs root (namespaces, mounts); CI runs as root");
    for (String tool :
        List.of(
            "corosync",
            "pacemakerd",
            "crm_resource",
            "cibadmin",
            "nsenter",
            "unshare",
            "ip",
            "libvirtd",
            "qemu-system-x86_64")) {
      assumeTrue(onPath(tool), tool + " is missing (Debian packages: see src-test/run-tests.sh)");
    }
    assumeTrue(
        Files.exists(Path.of("/usr/lib/ocf/resource.d/heartbeat/VirtualDomain")),
        "ocf:heartbeat:VirtualDomain is missing (Debian package resource-agents)");
    Files.createDirectories(REPORT.getParent());
    TestGuest guest = TestGuest.get();
    guestEnv =
        Map.of(
            "HAVIRT_GUEST_KERNEL", guest.kernel().toString(),
            "HAVIRT_GUEST_INITRD", guest.initrd().toString());
    Run setup =
        run(300, REPORT.resolveSibling("pacemaker-lab-setup.log"), LAB_SH.toString(), "setup");
    assertThat(setup.exit()).as("lab setup:\n%s", setup.out()).isZero();
    labUp = true;
  }

  @AfterAll
  static void stopTheCluster() throws Exception {
    if (!results.isEmpty()) {
      String table = table();
      Files.writeString(REPORT, table);
      System.out.println(table);
    }
    if (labUp) {
      Run down =
          run(
              120,
              REPORT.resolveSibling("pacemaker-lab-teardown.log"),
              LAB_SH.toString(),
              "teardown");
      assertThat(down.exit()).as("lab teardown:\n%s", down.out()).isZero();
    }
  }

  static Map<String, String> scenarios(String agent) throws Exception {
    Run r =
        run(900, REPORT.resolveSibling("pacemaker-" + agent + ".log"), SCENARIOS.toString(), agent);
    Map<String, String> found = new LinkedHashMap<>();
    for (String line : r.out().split("\n")) {
      if (line.startsWith("RESULT ")) {
        String[] f = line.split(" ", 3);
        found.put(f[1], f.length > 2 ? f[2] : "");
      }
    }
    results.put(agent, found);
    assertThat(r.exit()).as(r.out()).isZero();
    return found;
  }

  static void assertCommonScenarios(Map<String, String> r, String out) {
    for (String key :
        List.of(
            "start", "restart-after-kill", "live-migration", "node-crash-failover", "clean-stop")) {
      assertThat(r.get(key)).as("%s in %s", key, out).matches("\\d+\\.\\d\\d");
    }
    // Live: the destination's domain was migrated in, not booted there.
    assertThat(r.get("live-migration-state")).isEqualTo("running_(migrated)");
    assertThat(r.get("split-brain-original-running")).isEqualTo("yes");
    // Once the isolated node rejoins, one copy runs.
    assertThat(r.get("copies-after-rejoin")).isEqualTo("1");
    // Issue 17: no force_stop; the stop is the guest's own shutdown, not a destroy.
    assertThat(r.get("clean-stop-console")).as(out).isEqualTo("powering-off");
    assertThat(r.get("clean-stop-reason")).as(out).isEqualTo("shutdown");
    assertThat(r.get("clean-stop-pacemaker")).as(out).isEqualTo("0");
  }

  @Test
  @Order(1)
  void virtualDomainStartsASecondCopyInASplitBrain() throws Exception {
    Map<String, String> r = scenarios("virtualdomain");
    assertCommonScenarios(r, r.toString());
    // The peer's failure the havirt guard exists for: both nodes ran the guest at once.
    assertThat(r.get("split-brain-second-copy")).startsWith("yes");
  }

  @Test
  @Order(2)
  void havirtRefusesTheSecondCopyAndDoesEverythingElse() throws Exception {
    Map<String, String> r = scenarios("havirt");
    assertCommonScenarios(r, r.toString());
    assertThat(r.get("split-brain-second-copy")).isEqualTo("no");
    assertThat(r.get("split-brain-refused")).matches("\\d+\\.\\d\\d");
    // The killed qemu was pushed to Pacemaker at once (crm_resource --fail), and nothing else
    // was: not the migration away, the stops, the split brain or the crash.
    assertThat(pushed("hv")).as("failures of hv pushed to Pacemaker").isEqualTo(1);
    // Pacemaker shows why, from the OCF agent's exit reason.
    assertThat(r.get("split-brain-reason"))
        .contains("is_running")
        .contains("on_peer_hv")
        .contains("refusing_to_start_a_second_copy");
  }

  /**
   * Issue 14 point 5: Pacemaker sees nothing of an agent restart. Each restart is placed just
   * before a recurring monitor is due, so at least one monitor runs while no agent answers; before
   * issue 14 the OCF wrapper answered that monitor with 5 at once and Pacemaker recovered the
   * guest.
   */
  @Test
  @Order(3)
  void havirtAgentRestartsChangeNothingPacemakerSees() {
    Map<String, String> r = results.get("havirt");
    assertThat(r).as("the havirt scenarios ran (test order 2)").isNotNull();
    for (String s : RESTARTS) {
      String why = s + " in " + r;
      assertThat(r.get(s + "-ready")).as(why).matches("\\d+\\.\\d\\d");
      assertThat(r.get(s + "-monitors-in-gap")).as(why).matches("[1-9]\\d*");
      assertThat(r.get(s + "-monitors-after")).as(why).matches("([2-9]|\\d\\d+)");
      assertThat(r.get(s + "-monitor-failures")).as(why).isEqualTo("0");
      assertThat(r.get(s + "-location")).as(why).isEqualTo("same");
      assertThat(r.get(s + "-qemu")).as(why).isEqualTo("same");
      assertThat(r.get(s + "-nodes")).as(why).isEqualTo("online");
      assertThat(r.get(s + "-fencing")).as(why).isEqualTo("none");
      assertThat(r.get(s + "-failed-actions")).as(why).isEqualTo("none");
      assertThat(r.get(s + "-failcount")).as(why).isEqualTo("0");
    }
    assertThat(r.get("install-dpkg-exit")).as("first dpkg -i in %s", r).isEqualTo("0");
    assertThat(r.get("upgrade-dpkg-exit")).as("dpkg -i over itself in %s", r).isEqualTo("0");
    assertThat(r.get("upgrade-agent-home")).isEqualTo("/usr/lib/havirt");
  }

  /** How many failures of Pacemaker resource {@code rsc} the agents pushed to Pacemaker. */
  static long pushed(String rsc) throws IOException {
    long pushed = 0;
    for (String node : List.of("hvA", "hvB")) {
      Path log = TOP.resolve("src-test/target/pacemaker-lab/" + node + "/havirt-log/engine_A.log");
      pushed +=
          Files.readAllLines(log).stream()
              .filter(l -> l.contains("pacemaker told of failure resource=" + rsc + " "))
              .count();
    }
    return pushed;
  }

  /**
   * Issue 17 point 3: the guest's disk on hvA fails writes (a full tmpfs), qemu pauses it on the
   * I/O error, havirt reports it OFFLINE and Pacemaker fails it over to hvB, where the disk works.
   */
  @Test
  @Order(4)
  void havirtFailsAGuestPausedOnAnIoErrorOverToTheOtherNode() throws IOException {
    Map<String, String> r = results.get("havirt");
    assertThat(r).as("the havirt scenarios ran (test order 2)").isNotNull();
    String why = r.toString();
    assertThat(r.get("io-paused-event"))
        .as("libvirt paused it on the I/O error: %s", why)
        .isEqualTo("yes");
    assertThat(r.get("io-pause-reason")).as(why).isEqualTo("enospc");
    assertThat(r.get("io-havirt-state"))
        .as(why)
        .startsWith("state=OFFLINE")
        .contains("paused_(I/O_error)");
    // Its paused qemu on hvA was destroyed (havirt's clean, or Pacemaker's stop) before hvB's
    // libvirtd started the new one; at no poll did two copies run.
    assertThat(r.get("io-hvA-stop-reason")).as(why).isEqualTo("destroyed");
    assertThat(r.get("io-order")).as(why).isEqualTo("destroyed-first");
    assertThat(r.get("io-copies-max")).as(why).isEqualTo("1");
    assertThat(r.get("io-pause-to-destroyed")).as(why).matches("\\d+\\.\\d\\d");
    assertThat(r.get("io-failover")).as(why).matches("\\d+\\.\\d\\d");
    // The guest booted on hvB and its write went through there.
    assertThat(r.get("io-written")).as(why).matches("\\d+\\.\\d\\d");
    // One failure, on hvA, the one havirt pushed (migration-threshold=1 moved the guest); none on
    // hvB; no fencing. Pacemaker 2.1.5's controller counts that one failure more than once (its
    // log: several "Updating failcount ... after failed asyncmon" for the one request; 1 or 2
    // before the paused guest's monitor answered 1, 3 in the two runs since, with the asyncmon
    // still the only failed action): the count is Pacemaker's bookkeeping, so it is asserted
    // positive (the guest moved) and hvB's zero.
    assertThat(r.get("io-failed-actions")).as(why).isEqualTo("hvio_asyncmon_on_hvA");
    assertThat(r.get("io-failcount-hvA")).as(why).matches("[1-9]");
    assertThat(r.get("io-failcount-hvB")).as(why).isEqualTo("0");
    assertThat(r.get("io-failed-start-hvB")).as(why).isEqualTo("none");
    assertThat(r.get("io-fencing")).as(why).isEqualTo("none");
    assertThat(r.get("io-nodes")).as(why).isEqualTo("online");
    assertThat(pushed("hvio")).as("failures of hvio pushed to Pacemaker").isEqualTo(1);
  }

  static String table() {
    Map<String, String> vd = results.getOrDefault("virtualdomain", Map.of());
    Map<String, String> hv = results.getOrDefault("havirt", Map.of());
    List<String> rows = new ArrayList<>();
    rows.add("| scenario (seconds) | VirtualDomain | havirt |");
    rows.add("|---|---|---|");
    for (String k : TIMED) {
      rows.add("| " + k + " | " + vd.getOrDefault(k, "-") + " | " + hv.getOrDefault(k, "-") + " |");
    }
    rows.add(
        "| split brain: second copy started | "
            + vd.getOrDefault("split-brain-second-copy", "-")
            + " | "
            + hv.getOrDefault("split-brain-second-copy", "-")
            + " |");
    for (String k : RESTARTS) {
      rows.add(
          "| "
              + k
              + ": agent start to ready (CPU used) | n/a | "
              + hv.getOrDefault(k + "-ready", "-")
              + " ("
              + hv.getOrDefault(k + "-ready-cpu", "-")
              + ") |");
    }
    return "Two-node Pacemaker, same cluster, same guest, monitor every 5 s\n\n"
        + String.join("\n", rows)
        + "\n";
  }
}
