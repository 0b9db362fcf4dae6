package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.havirt.testing.GuestConsole;
import org.havirt.testing.PrivateLibvirtd;
import org.havirt.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test guest itself ({@link TestGuest}) on a private QEMU libvirtd: it boots to "ready" and
 * does what its kernel command line asks, as its console says.
 */
class TestGuestIT {
  @TempDir static Path root;
  static PrivateLibvirtd q;
  static TestGuest guest;

  @BeforeAll
  static void start() throws Exception {
    Optional<String> why = PrivateLibvirtd.qemuUnavailable();
    assumeTrue(why.isEmpty(), () -> why.get());
    // Missing packages fail here (IllegalStateException), they never skip.
    guest = TestGuest.get();
    q = PrivateLibvirtd.qemu(root.resolve("q"), "0e0e0e0e-0000-4000-8000-00000000000e");
  }

  @AfterAll
  static void stop() throws Exception {
    if (q != null) {
      q.close();
    }
  }

  @Test
  void bootsToReady() throws Exception {
    TestGuest.Domain d = guest.domain("boots", root.resolve("boots.console"));
    q.virsh("define", d.writeXml(root.resolve("boots.xml")).toString());
    long t0 = System.nanoTime();
    q.virsh("start", "boots");
    GuestConsole console = d.console();
    String ready = console.awaitLine(TestGuest.READY, TestGuest.BOOT_TIMEOUT);
    double s = (System.nanoTime() - t0) / 1e9;
    assertThat(ready).contains("kernel " + guest.kernelVersion()).contains("acpi=poweroff");
    assertThat(console.text()).doesNotContain("insmod").doesNotContain("failed");
    System.out.printf(
        "test guest: virsh start to ready %.2f s (load %s)%n",
        s, java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim());
    q.virsh("destroy", "boots");
  }
}
