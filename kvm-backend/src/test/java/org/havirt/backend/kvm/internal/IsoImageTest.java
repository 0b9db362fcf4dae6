package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IsoImageTest {
  static final ZonedDateTime WHEN = ZonedDateTime.parse("2026-11-22T08:00:00Z");
  static final byte[] PAYLOAD =
      "HAVIRT_DR_VERSION=\"1\"\nIPADDR=\"10.0.0.5\"\n".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  @Test
  void layoutHasBothDescriptorsAndTheFile() {
    byte[] iso = IsoImage.build("HAVIRT_DR", Map.of("havirt-dr.conf", PAYLOAD), WHEN);
    assertThat(iso.length % 2048).isZero();
    assertThat(new String(iso, 16 * 2048 + 1, 5, StandardCharsets.US_ASCII)).isEqualTo("CD001");
    assertThat(iso[16 * 2048]).isEqualTo((byte) 1);
    assertThat(iso[17 * 2048]).isEqualTo((byte) 2);
    assertThat(new String(iso, 17 * 2048 + 88, 3, StandardCharsets.US_ASCII)).isEqualTo("%/E");
    assertThat(iso[18 * 2048]).isEqualTo((byte) 255);
    assertThat(new String(iso, 25 * 2048, PAYLOAD.length, StandardCharsets.US_ASCII))
        .isEqualTo(new String(PAYLOAD, StandardCharsets.US_ASCII));
    // The same input gives the same bytes.
    assertThat(IsoImage.build("HAVIRT_DR", Map.of("havirt-dr.conf", PAYLOAD), WHEN)).isEqualTo(iso);
  }

  @Test
  void levelOneNamesAreEightDotThree() {
    assertThat(new String(IsoImage.levelOneName("havirt-dr.conf"), StandardCharsets.US_ASCII))
        .isEqualTo("HAVIRT_D.CON;1");
    assertThat(new String(IsoImage.levelOneName("readme"), StandardCharsets.US_ASCII))
        .isEqualTo("README.;1");
  }

  @Test
  void isoinfoReadsTheJolietNameAndContent() throws Exception {
    assumeTrue(new File("/usr/bin/isoinfo").canExecute(), "isoinfo (Debian genisoimage) missing");
    Path iso = dir.resolve("dr.iso");
    Files.write(
        iso,
        IsoImage.build(
            "HAVIRT_DR",
            Map.of("havirt-dr.conf", PAYLOAD, "b.txt", "x".repeat(5000).getBytes()),
            WHEN));
    assertThat(run("isoinfo", "-d", "-i", iso.toString()))
        .contains("Volume id: HAVIRT_DR")
        .contains("Joliet with UCS level 3 found");
    assertThat(run("isoinfo", "-J", "-f", "-i", iso.toString()))
        .isEqualTo("/b.txt\n/havirt-dr.conf\n");
    assertThat(run("isoinfo", "-J", "-x", "/havirt-dr.conf", "-i", iso.toString()))
        .isEqualTo(new String(PAYLOAD, StandardCharsets.US_ASCII));
    assertThat(run("isoinfo", "-J", "-x", "/b.txt", "-i", iso.toString())).hasSize(5000);
    assertThat(run("isoinfo", "-f", "-i", iso.toString())).contains("/HAVIRT_D.CON;1");
  }

  static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
