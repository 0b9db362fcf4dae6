package org.havirt.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
        s, Files.readString(Path.of("/proc/loadavg")).trim());
    q.virsh("destroy", "boots");
  }

  /**
   * One boot shows everything the tests rely on: a disk write that lands in the image, a CD-ROM
   * mounted and listed, and the ACPI power button powering the guest off.
   */
  @Test
  void writesADiskMountsACdromAndPowersOffOnTheAcpiButton() throws Exception {
    Path image = root.resolve("ff.img");
    byte[] ones = new byte[8 << 20];
    java.util.Arrays.fill(ones, (byte) 0xff);
    Files.write(image, ones);
    Path content = Files.createDirectories(root.resolve("cd"));
    Files.writeString(content.resolve("hello.txt"), "hello from the host\n");
    Path iso = root.resolve("cd.iso");
    PrivateLibvirtd.Result mkiso =
        PrivateLibvirtd.run(
            List.of("genisoimage", "-quiet", "-r", "-o", iso.toString(), content.toString()),
            Duration.ofSeconds(30));
    assertThat(mkiso.exit()).as(mkiso.output()).isZero();
    TestGuest.Domain d =
        guest
            .domain("able", root.resolve("able.console"))
            .disk(image)
            .writeOnBoot("/dev/vda", 4)
            .cdrom(iso)
            .mountCdrom();
    q.virsh("define", d.writeXml(root.resolve("able.xml")).toString());
    q.virsh("start", "able");
    GuestConsole console = d.console();
    console.awaitLine(TestGuest.READY, TestGuest.BOOT_TIMEOUT);
    console.awaitLine("havirt-guest: wrote 4 MiB to /dev/vda", Duration.ofSeconds(60));
    assertThat(console.awaitLine("havirt-guest: cdrom mounted:", Duration.ofSeconds(30)))
        .endsWith("hello.txt ");
    console.awaitLine("havirt-guest: idle", Duration.ofSeconds(30));
    q.virsh("shutdown", "able");
    console.awaitLine(TestGuest.POWERING_OFF, Duration.ofSeconds(30));
    console.awaitLine("reboot: Power down", Duration.ofSeconds(30));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String state = q.virsh("domstate", "--reason", "able").trim();
    while (!state.startsWith("shut off") && System.nanoTime() < deadline) {
      Thread.sleep(50); // libvirt notices qemu's exit on its own time; nothing of ours to wait on
      state = q.virsh("domstate", "--reason", "able").trim();
    }
    assertThat(state).isEqualTo("shut off (shutdown)");
    byte[] after = Files.readAllBytes(image);
    assertThat(java.util.Arrays.copyOfRange(after, 0, 4 << 20))
        .as("the guest's zeros reached the image")
        .containsOnly((byte) 0);
    assertThat(after[4 << 20]).as("and nothing past them").isEqualTo((byte) 0xff);
  }
}
