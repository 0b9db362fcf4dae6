package org.havirt.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A small Linux guest that boots in seconds under TCG, for the QEMU integration tests: a Debian
 * cloud kernel and a busybox initramfs (init: the resource {@code guest-init}), built at test time
 * from two Debian packages that src-test/run-tests.sh fetches, nothing else. It honours the ACPI
 * power button (or, on request, ignores it), can write to a disk and mount a CD-ROM, and says what
 * it did on its serial console, which qemu writes to a file that {@link GuestConsole} reads.
 *
 * <p>The image is built at most once per JVM and cached under the build tree by a hash of its
 * inputs. Missing packages are an error with a clear message, never a reason to skip.
 *
 * <p>Thread-safe: {@link #get} serialises the build; a {@link Domain} builder is not thread-safe.
 */
public final class TestGuest {
  /** The environment variable naming the directory of the two .deb files. */
  public static final String DEBS_ENV = "HAVIRT_TEST_GUEST_DEBS";

  /** Where run-tests.sh puts the .deb files when {@link #DEBS_ENV} is not set. */
  public static final String DEBS_DEFAULT = "/var/cache/havirt-test-guest";

  /** The console line (a prefix of it) the guest shows once it is up and acpid listens. */
  public static final String READY = "havirt-guest: ready";

  /** Shown when the guest powers itself off after the ACPI power button. */
  public static final String POWERING_OFF = "havirt-guest: ACPI power button pressed, powering off";

  /** Shown when a guest with {@link Domain#ignoreAcpi} saw the power button. */
  public static final String ACPI_IGNORED = "havirt-guest: ACPI power button pressed, ignored";

  /**
   * A generous bound for boot to {@link #READY}: 4.2-4.7 s on an idle 2-core machine (qemu run
   * directly), 11.4 s median through libvirt at load average 9 (7 boots, 8.6-18.9 s).
   */
  public static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);

  private static TestGuest built;

  private final GuestImageBuilder.Image image;

  private TestGuest(GuestImageBuilder.Image image) {
    this.image = image;
  }

  /**
   * The guest image, built on the first call in this JVM (or taken from the cache); throws {@link
   * IllegalStateException} saying what to install when the packages are missing.
   */
  public static synchronized TestGuest get() throws IOException, InterruptedException {
    if (built == null) {
      String env = System.getenv(DEBS_ENV);
      Path debs = Path.of(env != null && !env.isBlank() ? env : DEBS_DEFAULT);
      Path top = sourceTop();
      Path cache =
          Path.of(
              System.getProperty(
                  "havirt.testGuest.cache", top.resolve("src-test/target/test-guest").toString()));
      Path reconfig = top.resolve("packaging/src/main/guest/havirt-net-reconfig");
      built =
          new TestGuest(
              new GuestImageBuilder(debs, cache, Files.isRegularFile(reconfig) ? reconfig : null)
                  .build());
    }
    return built;
  }

  /** The source tree's top: the tests run in src-test, other programs from the top. */
  private static Path sourceTop() {
    Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (Files.isDirectory(here.resolve("src-test"))) {
      return here;
    }
    if (here.getFileName() != null
        && here.getFileName().toString().equals("src-test")
        && here.getParent() != null) {
      return here.getParent();
    }
    return here;
  }

  public Path kernel() {
    return image.kernel();
  }

  public Path initrd() {
    return image.initrd();
  }

  /** The guest kernel's release, e.g. 6.1.0-57-cloud-amd64. */
  public String kernelVersion() {
    return image.kernelVersion();
  }

  /** A domain named {@code name} whose serial console qemu appends to {@code consoleFile}. */
  public Domain domain(String name, Path consoleFile) {
    return new Domain(this, name, consoleFile);
  }

  /**
   * Builds the guest's libvirt domain XML for a QEMU libvirtd ({@link PrivateLibvirtd#qemu}). Not
   * thread-safe.
   */
  public static final class Domain {
    private final TestGuest guest;
    private final String name;
    private final Path consoleFile;
    private final List<String> options = new ArrayList<>();
    private final List<Path> disks = new ArrayList<>();
    private final List<String> diskPolicies = new ArrayList<>();
    private Path cdrom;
    private boolean nic;
    private int memoryMiB = 256;

    private Domain(TestGuest guest, String name, Path consoleFile) {
      this.guest = guest;
      this.name = name;
      this.consoleFile = consoleFile;
    }

    public String name() {
      return name;
    }

    public Path consoleFile() {
      return consoleFile;
    }

    /** A new reader of this domain's console, its cursor at the start. */
    public GuestConsole console() {
      return new GuestConsole(consoleFile);
    }

    /** The guest reports the ACPI power button and does nothing: it never shuts down itself. */
    public Domain ignoreAcpi() {
      options.add("havirt.acpi=ignore");
      return this;
    }

    /**
     * Adds a raw virtio disk backed by {@code image}; qemu pauses the guest when a write to it
     * fails ({@code error_policy='stop'}). The guest sees the disks in order as /dev/vda, /dev/vdb…
     */
    public Domain disk(Path image) {
      return disk(image, "stop");
    }

    /**
     * As {@link #disk(Path)} with libvirt's {@code error_policy} (stop, report, ignore, enospace).
     */
    public Domain disk(Path image, String errorPolicy) {
      disks.add(image);
      diskPolicies.add(errorPolicy);
      return this;
    }

    /**
     * After "ready" the guest writes {@code mib} MiB of zeros to {@code guestDevice} (e.g.
     * /dev/vda) and flushes them, then shows "wrote" or "write to … failed".
     */
    public Domain writeOnBoot(String guestDevice, int mib) {
      options.add("havirt.write=" + guestDevice + ":" + mib);
      return this;
    }

    /** Attaches {@code iso} as an IDE CD-ROM (/dev/sr0 in the guest). */
    public Domain cdrom(Path iso) {
      this.cdrom = iso;
      return this;
    }

    /** After "ready" the guest mounts /dev/sr0 and shows "cdrom mounted: FILES…". */
    public Domain mountCdrom() {
      options.add("havirt.cdrom=1");
      return this;
    }

    /**
     * DR network mode: after "ready" the guest runs havirt-net-reconfig (packaging's guest service,
     * in the image when the source tree has it) and shows "havirt-net-reconfig exited N".
     */
    public Domain netReconfig() {
      options.add("havirt.net=reconfig");
      return this;
    }

    /**
     * Adds a virtio NIC (eth0 in the guest) on QEMU's user-mode network: no host bridge or tap is
     * needed, and nothing in the guest asks it for an address (no DHCP client runs).
     */
    public Domain nic() {
      this.nic = true;
      return this;
    }

    /**
     * DR network as applied (needs {@link #nic}): as the shipped unit does, havirt-net-reconfig
     * --no-activate writes an ifcfg file, then the image's network service brings up every ONBOOT
     * ifcfg file ("havirt-guest: network: DEV up from FILE"); the console then shows {@code ip -4
     * addr}, {@code ip route} and /etc/resolv.conf as lines "havirt-guest: net: ..." between "net
     * begin" and "net end".
     */
    public Domain netIfcfg() {
      options.add("havirt.net=ifcfg");
      return this;
    }

    /** Any other kernel command-line option, e.g. one the init learns later. */
    public Domain option(String kernelOption) {
      options.add(kernelOption);
      return this;
    }

    public Domain memoryMiB(int mib) {
      this.memoryMiB = mib;
      return this;
    }

    /** The kernel command line. */
    public String cmdline() {
      List<String> all = new ArrayList<>(List.of("console=ttyS0", "quiet"));
      all.addAll(options);
      return String.join(" ", all);
    }

    /** The domain XML. */
    public String xml() {
      StringBuilder d = new StringBuilder();
      d.append("<domain type='qemu'><name>")
          .append(esc(name))
          .append("</name><memory unit='MiB'>")
          .append(memoryMiB)
          .append("</memory><vcpu>1</vcpu>")
          .append("<os><type arch='x86_64' machine='pc'>hvm</type>")
          .append("<kernel>")
          .append(esc(guest.kernel().toString()))
          .append("</kernel><initrd>")
          .append(esc(guest.initrd().toString()))
          .append("</initrd><cmdline>")
          .append(esc(cmdline()))
          .append("</cmdline></os><features><acpi/></features>")
          .append(
              "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>")
          .append("<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>");
      for (int i = 0; i < disks.size(); i++) {
        d.append("<disk type='file' device='disk'><driver name='qemu' type='raw' error_policy='")
            .append(esc(diskPolicies.get(i)))
            .append("'/><source file='")
            .append(esc(disks.get(i).toString()))
            .append("'/><target dev='vd")
            .append((char) ('a' + i))
            .append("' bus='virtio'/></disk>");
      }
      if (cdrom != null) {
        d.append("<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='")
            .append(esc(cdrom.toString()))
            .append("'/><target dev='hdc' bus='ide'/><readonly/></disk>");
      }
      if (nic) {
        d.append("<interface type='user'><model type='virtio'/></interface>");
      }
      // append: the console of every boot of this domain stays in the one file.
      d.append("<serial type='file'><source path='")
          .append(esc(consoleFile.toString()))
          .append("' append='on'/><target port='0'/></serial>")
          .append("<memballoon model='none'/></devices></domain>");
      return d.toString();
    }

    /** Writes {@link #xml} to {@code file} and returns it. */
    public Path writeXml(Path file) throws IOException {
      Files.writeString(file, xml());
      return file;
    }

    private static String esc(String s) {
      return s.replace("&", "&amp;")
          .replace("<", "&lt;")
          .replace(">", "&gt;")
          .replace("'", "&apos;")
          .replace("\"", "&quot;");
    }
  }

  /**
   * Builds the image (or finds it in the cache) and prints the kernel's and the initramfs's paths,
   * one a line, for scripts such as the Pacemaker lab. Run from the source tree's top.
   */
  public static void main(String[] args) throws Exception {
    TestGuest g = get();
    System.out.println(g.kernel());
    System.out.println(g.initrd());
  }
}
