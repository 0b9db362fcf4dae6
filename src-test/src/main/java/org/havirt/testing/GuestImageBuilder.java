package org.havirt.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the test guest's kernel and initramfs from two Debian packages (a cloud kernel and
 * busybox-static) and caches them under a directory named by a hash of every input, so a second
 * test JVM, or a second run, reuses them. Not thread-safe; {@link TestGuest} serialises callers.
 */
final class GuestImageBuilder {
  /** Bumped when the image's layout changes, so an old cache entry is never reused. */
  private static final String LAYOUT = "1";

  /**
   * The drivers the guest needs: the power button and its input events (acpid), virtio disks and
   * NIC, the PIIX IDE controller and its CD-ROM, ISO 9660. Their dependencies are added from each
   * module's own {@code depends=} field: the kernel package ships no modules.dep.
   */
  static final List<String> MODULES =
      List.of(
          "evdev",
          "button",
          "virtio_pci",
          "virtio_blk",
          "virtio_net",
          "ata_piix",
          "sr_mod",
          "isofs");

  private static final Duration EXTRACT_TIMEOUT = Duration.ofMinutes(2);

  private final Path debs;
  private final Path cacheRoot;
  private final Path netReconfig;

  /**
   * @param debs the directory holding the two .deb files
   * @param cacheRoot where built images are kept, one subdirectory per input hash
   * @param netReconfig packaging's havirt-net-reconfig, copied into the image; null leaves it out
   */
  GuestImageBuilder(Path debs, Path cacheRoot, Path netReconfig) {
    this.debs = debs;
    this.cacheRoot = cacheRoot;
    this.netReconfig = netReconfig;
  }

  /** The built image: kernel, initramfs and the kernel's version. */
  record Image(Path kernel, Path initrd, String kernelVersion, Path dir) {}

  Image build() throws IOException, InterruptedException {
    Path kernelDeb = single("linux-image-*-cloud-amd64_*.deb", "linux-image-cloud-amd64_*");
    Path busyboxDeb = single("busybox-static_*.deb", null);
    byte[] init = resource("guest-init");
    byte[] reconfig = netReconfig != null ? Files.readAllBytes(netReconfig) : null;
    String key = key(kernelDeb, busyboxDeb, init, reconfig);
    Path dir = cacheRoot.resolve(key);
    if (Files.isRegularFile(dir.resolve("kernel-version"))) {
      return image(dir);
    }
    Files.createDirectories(cacheRoot);
    Path work = Files.createTempDirectory(cacheRoot, "build-");
    try {
      extract(kernelDeb, work.resolve("kernel"));
      extract(busyboxDeb, work.resolve("busybox"));
      Path out = Files.createDirectories(work.resolve("image"));
      Path vmlinuz;
      try (Stream<Path> s = Files.list(work.resolve("kernel/boot"))) {
        vmlinuz =
            s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-"))
                .findFirst()
                .orElseThrow(() -> new IOException(kernelDeb + " holds no boot/vmlinuz-*"));
      }
      String version = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
      Path moduleTree = work.resolve("kernel/lib/modules/" + version);
      List<Path> modules = loadOrder(moduleTree);
      try (OutputStream o = Files.newOutputStream(out.resolve("initrd.gz"));
          GZIPOutputStream gz = new GZIPOutputStream(o);
          NewcArchive cpio = new NewcArchive(gz)) {
        for (String d :
            List.of(
                "bin",
                "sbin",
                "usr",
                "usr/bin",
                "usr/sbin",
                "dev",
                "etc",
                "lib",
                "lib/modules",
                "mnt",
                "proc",
                "sys",
                "tmp",
                "run")) {
          cpio.directory(d);
        }
        // The kernel opens /dev/console before /init runs, before devtmpfs is mounted.
        cpio.charDevice("dev/console", 0600, 5, 1);
        cpio.file("init", 0755, init);
        cpio.file("bin/busybox", 0755, Files.readAllBytes(work.resolve("busybox/bin/busybox")));
        StringBuilder order = new StringBuilder();
        for (Path m : modules) {
          String name = moduleName(m);
          cpio.file("lib/modules/" + name + ".ko", 0644, Files.readAllBytes(m));
          order.append(name).append('\n');
        }
        cpio.file(
            "lib/modules/load-order", 0644, order.toString().getBytes(StandardCharsets.UTF_8));
        if (reconfig != null) {
          cpio.file("usr/sbin/havirt-net-reconfig", 0755, reconfig);
        }
      }
      Files.copy(vmlinuz, out.resolve("vmlinuz"));
      Files.writeString(out.resolve("kernel-version"), version + "\n");
      try {
        Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // Another JVM built the same inputs first: its image is the same bytes.
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot move the built guest into " + dir, e);
      }
      return image(dir);
    } finally {
      deleteTree(work);
    }
  }

  private static Image image(Path dir) throws IOException {
    return new Image(
        dir.resolve("vmlinuz"),
        dir.resolve("initrd.gz"),
        Files.readString(dir.resolve("kernel-version")).trim(),
        dir);
  }

  /** The one .deb matching {@code glob} (and not {@code exclude}); fails clearly otherwise. */
  private Path single(String glob, String exclude) throws IOException {
    if (!Files.isDirectory(debs)) {
      throw new IllegalStateException(missing("the directory " + debs + " does not exist"));
    }
    List<Path> found = new ArrayList<>();
    var excluded = exclude == null ? null : debs.getFileSystem().getPathMatcher("glob:" + exclude);
    try (var s = Files.newDirectoryStream(debs, glob)) {
      for (Path p : s) {
        if (excluded == null || !excluded.matches(p.getFileName())) {
          found.add(p);
        }
      }
    }
    if (found.size() != 1) {
      throw new IllegalStateException(
          missing(
              found.isEmpty()
                  ? "no " + glob + " in " + debs
                  : found.size() + " files match " + glob + " in " + debs + ": " + found));
    }
    return found.get(0);
  }

  static String missing(String what) {
    return "the test guest cannot be built: "
        + what
        + ". src-test/run-tests.sh fetches its Debian packages (the kernel that"
        + " linux-image-cloud-amd64 depends on, and busybox-static) with apt-get download into "
        + TestGuest.DEBS_DEFAULT
        + " (or $"
        + TestGuest.DEBS_ENV
        + ")";
  }

  private String key(Path kernelDeb, Path busyboxDeb, byte[] init, byte[] reconfig)
      throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update((LAYOUT + "\0" + String.join(",", MODULES) + "\0").getBytes(StandardCharsets.UTF_8));
      for (Path deb : List.of(kernelDeb, busyboxDeb)) {
        try (InputStream in = Files.newInputStream(deb)) {
          byte[] buf = new byte[1 << 16];
          for (int n; (n = in.read(buf)) > 0; ) {
            d.update(buf, 0, n);
          }
        }
      }
      d.update(init);
      if (reconfig != null) {
        d.update(reconfig);
      }
      return HexFormat.of().formatHex(d.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void extract(Path deb, Path into) throws IOException, InterruptedException {
    Files.createDirectories(into);
    PrivateLibvirtd.Result r =
        PrivateLibvirtd.run(
            List.of("dpkg-deb", "-x", deb.toString(), into.toString()), EXTRACT_TIMEOUT);
    if (r.exit() != 0) {
      throw new IOException("dpkg-deb -x " + deb + " failed (" + r.exit() + "): " + r.output());
    }
  }

  /** {@link #MODULES} and their dependencies as .ko files, each after what it depends on. */
  static List<Path> loadOrder(Path moduleTree) throws IOException {
    Map<String, Path> byName = new HashMap<>();
    try (Stream<Path> s = Files.walk(moduleTree)) {
      s.filter(p -> p.toString().endsWith(".ko")).forEach(p -> byName.put(moduleName(p), p));
    }
    Set<String> builtin = new java.util.HashSet<>();
    Path builtinList = moduleTree.resolve("modules.builtin");
    if (Files.isRegularFile(builtinList)) {
      for (String line : Files.readAllLines(builtinList)) {
        if (!line.isBlank()) {
          builtin.add(moduleName(Path.of(line.trim())));
        }
      }
    }
    LinkedHashSet<Path> order = new LinkedHashSet<>();
    for (String m : MODULES) {
      visit(m, byName, builtin, order, new LinkedHashSet<>());
    }
    return new ArrayList<>(order);
  }

  private static void visit(
      String name,
      Map<String, Path> byName,
      Set<String> builtin,
      LinkedHashSet<Path> order,
      LinkedHashSet<String> path)
      throws IOException {
    Path ko = byName.get(name);
    if (ko == null) {
      if (builtin.contains(name)) {
        return; // compiled into this kernel
      }
      throw new IOException("kernel module " + name + " is neither a .ko nor built in");
    }
    if (order.contains(ko)) {
      return;
    }
    if (!path.add(name)) {
      throw new IOException("kernel modules depend on each other in a cycle: " + path);
    }
    for (String dep : depends(ko)) {
      visit(dep, byName, builtin, order, path);
    }
    path.remove(name);
    order.add(ko);
  }

  /** The {@code depends=} field of a module's .modinfo section (uncompressed .ko). */
  static List<String> depends(Path ko) throws IOException {
    String text = new String(Files.readAllBytes(ko), StandardCharsets.ISO_8859_1);
    int at = text.indexOf("\0depends=");
    if (at < 0) {
      throw new IOException(ko + " has no depends= field (a compressed module?)");
    }
    int start = at + "\0depends=".length();
    String value = text.substring(start, text.indexOf('\0', start));
    List<String> deps = new ArrayList<>();
    for (String d : value.split(",")) {
      if (!d.isBlank()) {
        deps.add(d.trim().replace('-', '_'));
      }
    }
    return deps;
  }

  static String moduleName(Path ko) {
    String f = ko.getFileName().toString();
    return f.substring(0, f.length() - ".ko".length()).replace('-', '_');
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = GuestImageBuilder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("resource " + name + " is missing from the class path");
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      in.transferTo(b);
      return b.toByteArray();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
