package org.havirt.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A disk whose writes fail: a sparse raw image far larger than the tiny tmpfs it lives on, mounted
 * inside a QEMU {@link PrivateLibvirtd}'s private mount namespace (so neither the host nor another
 * daemon sees it, and it goes away with the daemon). A guest that writes past the tmpfs's size
 * makes qemu's write fail with ENOSPC, and with {@code error_policy='stop'} ({@link
 * TestGuest.Domain#disk(Path)}) qemu pauses the guest: libvirt says {@code paused (I/O error)}. The
 * storage failure is real; nothing in libvirt or qemu is faked. Thread-safe (no state).
 */
public final class FullDisk {
  private FullDisk() {}

  /**
   * Creates {@code DIR/full-NAME/disk.img} of {@code imageMiB} MiB (sparse) on a tmpfs of {@code
   * tmpfsKiB} KiB mounted in {@code daemon}'s namespace, and returns the image's path as qemu sees
   * it. The host sees a sparse placeholder at the same path (see the code).
   */
  public static Path create(PrivateLibvirtd daemon, String name, int tmpfsKiB, int imageMiB)
      throws IOException, InterruptedException {
    if (!daemon.isQemu()) {
      throw new IllegalArgumentException("a full disk needs a QEMU daemon");
    }
    String pid = Files.readString(daemon.dir().resolve("libvirtd.pid")).trim();
    Path dir = Files.createDirectories(daemon.dir().resolve("full-" + name));
    Path image = dir.resolve("disk.img");
    // The agent checks a guest's disk paths in its own mount namespace, the host's, as it checks
    // shared storage: there the same path holds a sparse file of the same size, which nothing
    // writes. qemu, in the daemon's namespace, sees only the one on the tmpfs mounted over it.
    try (var f = new java.io.RandomAccessFile(image.toFile(), "rw")) {
      f.setLength((long) imageMiB << 20);
    }
    inNamespace(
        pid, "mount", "-t", "tmpfs", "-o", "size=" + tmpfsKiB + "k", "tmpfs", dir.toString());
    inNamespace(pid, "truncate", "-s", imageMiB + "M", image.toString());
    return image;
  }

  private static void inNamespace(String pid, String... cmd)
      throws IOException, InterruptedException {
    List<String> all = new java.util.ArrayList<>(List.of("nsenter", "-t", pid, "-m", "--"));
    all.addAll(List.of(cmd));
    PrivateLibvirtd.Result r = PrivateLibvirtd.run(all, Duration.ofSeconds(10));
    if (r.exit() != 0) {
      throw new IllegalStateException(String.join(" ", all) + " failed: " + r.output());
    }
  }
}
