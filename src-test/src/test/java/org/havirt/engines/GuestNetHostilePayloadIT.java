package org.havirt.engines;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.havirt.types.dr.DrNetwork;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The guest service havirt-net-reconfig against payloads written by whoever can attach media to the
 * VM: each is refused whole, with a message naming the key, and nothing is written; what the
 * service does write is shell-safe (checked by sourcing it, as initscripts do).
 */
class GuestNetHostilePayloadIT {
  static final Path SCRIPT = GuestNetServiceIT.SCRIPT;
  static final String GOOD =
      "HAVIRT_DR_VERSION=\"1\"\nDEVICE=\"eth0\"\nFAMILY=\"inet\"\nIPADDR=\"10.0.0.5\"\n"
          + "PREFIX=\"24\"\nNETMASK=\"255.255.255.0\"\n";

  @TempDir Path dir;

  record Run(int exit, String out) {}

  record Hostile(String name, String payload, String named) {
    @Override
    public String toString() {
      return name;
    }
  }

  Run service(Path root, Path media) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                SCRIPT.toString(), "--root", root.toString(), "--media", media.toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /**
   * The drives are mounted as data only: read-only, no set-id files, no device nodes, nothing
   * executable. A stand-in block device and a {@code mount} that records its arguments (and fails,
   * so nothing is mounted) show the options the service asks for.
   */
  @Test
  void theMediaIsMountedReadOnlyWithNothingOnItThatRunsOrCounts() throws Exception {
    Assumptions.assumeTrue(
        "root".equals(System.getProperty("user.name")), "needs root to make a block device node");
    Path blk = dir.resolve("sr0");
    Process mknod = new ProcessBuilder("mknod", blk.toString(), "b", "11", "0").start();
    assertThat(mknod.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mknod.exitValue()).isZero();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path args = dir.resolve("mount-args");
    Path mount = bin.resolve("mount");
    Files.writeString(mount, "#!/bin/sh\necho \"$@\" >> '" + args + "'\nexit 32\n");
    Files.setPosixFilePermissions(
        mount, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder pb =
        new ProcessBuilder(SCRIPT.toString(), "--root", ifcfgRoot().toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("HAVIRT_DR_DEVICES", blk.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("no DR payload");
    assertThat(Files.readString(args).trim())
        .as("the mount the service asked for")
        .startsWith("-t iso9660 -o ro,nosuid,nodev,noexec " + blk + " ");
  }

  Path media(byte[] payload) throws IOException {
    Path m = Files.createDirectories(dir.resolve("media"));
    Files.write(m.resolve(DrNetwork.PAYLOAD_FILE), payload);
    return m;
  }

  /** A guest root with initscripts' ifcfg directory and the NICs eth0 and eth1. */
  Path ifcfgRoot() throws IOException {
    Path r = dir.resolve("root");
    Files.createDirectories(r.resolve("etc/sysconfig/network-scripts"));
    Files.createDirectories(r.resolve("sys/class/net/eth0"));
    Files.createDirectories(r.resolve("sys/class/net/eth1"));
    return r;
  }

  /** Sources every file the service left under root, as initscripts do at ifup. */
  void sourceEverythingWritten(Path root) throws Exception {
    List<Path> written;
    try (Stream<Path> s = Files.walk(root)) {
      written = s.filter(Files::isRegularFile).toList();
    }
    for (Path f : written) {
      Process p =
          new ProcessBuilder("sh", "-c", ". \"$1\"", "sh", f.toString())
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      p.getInputStream().readAllBytes();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  static String pwned(Path dir) {
    return dir.resolve("pwned").toString();
  }

  static Stream<Hostile> hostile() {
    String v = "HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"10.0.0.5\"\nPREFIX=\"24\"\n";
    return Stream.of(
        new Hostile(
            "command after a value", v + "GATEWAY=\"10.0.0.1 /bin/touch PWNED\"\n", "GATEWAY"),
        new Hostile("command in DNS", v + "DNS=\"10.0.0.2 /bin/touch PWNED\"\n", "DNS"),
        new Hostile(
            "$(...)",
            "HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"$(touch PWNED)\"\nPREFIX=\"24\"\n",
            "IPADDR"),
        new Hostile("backquotes", v + "SEARCH=\"`touch PWNED`\"\n", "SEARCH"),
        new Hostile("semicolon", v + "SEARCH=\"a.example;touch PWNED\"\n", "SEARCH"),
        new Hostile("../ in DEVICE", v + "DEVICE=\"../../../pwned\"\n", "DEVICE"),
        new Hostile("/ in DEVICE", v + "DEVICE=\"a/b\"\n", "DEVICE"),
        new Hostile("DEVICE of 16 characters", v + "DEVICE=\"abcdefghijklmnop\"\n", "DEVICE"),
        new Hostile("DEVICE as an option", v + "DEVICE=\"-a\"\n", "DEVICE"),
        new Hostile("DEVICE ..", v + "DEVICE=\"..\"\n", "DEVICE"),
        new Hostile(
            "value over two lines", v + "SEARCH=\"a.example\nGATEWAY=\"10.0.0.1\"\n", "SEARCH"),
        new Hostile("quote inside a value", v + "SEARCH=\"a.example\" \"b\"\n", "SEARCH"),
        new Hostile("unquoted value", v + "GATEWAY=10.0.0.1\n", "GATEWAY"),
        new Hostile("unknown key", v + "LD_PRELOAD=\"/tmp/x.so\"\n", "LD_PRELOAD"),
        new Hostile("duplicate key", v + "IPADDR=\"10.0.0.6\"\n", "IPADDR"),
        new Hostile(
            "address out of range",
            "HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"10.0.0.256\"\nPREFIX=\"24\"\n",
            "IPADDR"),
        new Hostile(
            "prefix over 32",
            "HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"10.0.0.5\"\nPREFIX=\"33\"\n",
            "PREFIX"),
        new Hostile(
            "prefix over 128",
            "HAVIRT_DR_VERSION=\"1\"\nFAMILY=\"inet6\"\nIPADDR=\"2001:db8::5\"\nPREFIX=\"129\"\n",
            "PREFIX"),
        new Hostile("netmask not the prefix's", v + "NETMASK=\"255.0.255.0\"\n", "NETMASK"),
        new Hostile(
            "IPv6 with two ::",
            "HAVIRT_DR_VERSION=\"1\"\nFAMILY=\"inet6\"\nIPADDR=\"1::2::3\"\nPREFIX=\"64\"\n",
            "IPADDR"),
        new Hostile("IPv6 gateway for IPv4", v + "GATEWAY=\"2001:db8::1\"\n", "GATEWAY"),
        new Hostile("search domain with a leading hyphen", v + "SEARCH=\"-x.example\"\n", "SEARCH"),
        new Hostile("CR at a line end", v + "GATEWAY=\"10.0.0.1\"\r\n", "control"),
        new Hostile("NUL in a value", v + "GATEWAY=\"10.0.0.1\0/bin/touch PWNED\"\n", "control"),
        new Hostile("over-long file", v + "#".repeat(5000) + "\n", "bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void aHostilePayloadIsRefusedWholeAndNothingRuns(Hostile h) throws Exception {
    Path root = ifcfgRoot();
    byte[] payload = h.payload().replace("PWNED", pwned(dir)).getBytes(StandardCharsets.ISO_8859_1);
    Run r = service(root, media(payload));
    sourceEverythingWritten(root);
    assertThat(Path.of(pwned(dir))).as("a command ran: %s", r.out()).doesNotExist();
    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out())
        .startsWith("havirt-net-reconfig: refusing the payload: ")
        .contains(h.named());
    try (Stream<Path> s = Files.walk(dir)) {
      assertThat(s.filter(p -> p.getFileName().toString().contains("ifcfg-")).toList())
          .as("nothing written")
          .isEmpty();
    }
  }

  @Test
  void whatIsWrittenIsQuotedAndSourcesToExactlyThePayloadsValues() throws Exception {
    Path root = ifcfgRoot();
    Run r =
        service(
            root,
            media(
                (GOOD
                        + "GATEWAY=\"10.0.0.1\"\nDNS=\"10.0.0.2 2001:db8::53\"\n"
                        + "SEARCH=\"a.example b-1.example\"\n")
                    .getBytes(StandardCharsets.US_ASCII)));
    assertThat(r.exit()).as(r.out()).isZero();
    Path file = root.resolve("etc/sysconfig/network-scripts/ifcfg-eth0");
    for (String line : Files.readAllLines(file)) {
      assertThat(line).matches("#.*|[A-Z0-9_]+='[^']*'");
    }
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                ". \"$1\"; printf '%s|' \"$DEVICE\" \"$IPADDR\" \"$PREFIX\" \"$NETMASK\" \"$GATEWAY\""
                    + " \"$DNS1\" \"$DNS2\" \"$DOMAIN\"",
                "sh",
                file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(out)
        .isEqualTo(
            "eth0|10.0.0.5|24|255.255.255.0|10.0.0.1|10.0.0.2|2001:db8::53|a.example b-1.example|");
  }

  @Test
  void aSymbolicLinkIsNotAPayload() throws Exception {
    Path root = ifcfgRoot();
    Path real = dir.resolve("elsewhere.conf");
    Files.writeString(real, GOOD);
    Path m = Files.createDirectories(dir.resolve("media"));
    Files.createSymbolicLink(m.resolve(DrNetwork.PAYLOAD_FILE), real);
    assertThat(service(root, m))
        .isEqualTo(new Run(0, "havirt-net-reconfig: no DR payload: nothing to do\n"));
    assertThat(root.resolve("etc/sysconfig/network-scripts/ifcfg-eth0")).doesNotExist();
  }

  @Test
  void validAddressFormsAreAccepted() throws Exception {
    for (String ip : List.of("::ffff:10.0.0.5", "2001:db8:0:0:0:0:0:15", "fe80::1", "::")) {
      Path root = dir.resolve("v6-" + ip.hashCode());
      Files.createDirectories(root.resolve("etc/sysconfig/network-scripts"));
      Path m = Files.createDirectories(dir.resolve("m-" + ip.hashCode()));
      Files.writeString(
          m.resolve(DrNetwork.PAYLOAD_FILE),
          "HAVIRT_DR_VERSION=\"1\"\nDEVICE=\"eth0.10\"\nFAMILY=\"inet6\"\nIPADDR=\""
              + ip
              + "\"\nPREFIX=\"128\"");
      Run r = service(root, m);
      assertThat(r.exit()).as(ip + ": " + r.out()).isZero();
      assertThat(Files.readAllLines(root.resolve("etc/sysconfig/network-scripts/ifcfg-eth0.10")))
          .contains("IPV6ADDR='" + ip + "/128'");
    }
  }
}
