package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.havirt.types.ShippedTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sample configuration printed in the seed documents, checked in verbatim under {@code
 * seeds/} (see its INDEX.md), validated together with the shipped KVMGuest type.
 */
class SeedSamplesTest {
  @TempDir static Path dir;
  private static Path seeds;

  @BeforeAll
  static void setUp() throws IOException, URISyntaxException {
    seeds = Path.of(SeedSamplesTest.class.getResource("/seeds/INDEX.md").toURI()).getParent();
    // The samples that include "types.cf" get the shipped type plus the other agents' stand-ins.
    Files.writeString(
        dir.resolve("types.cf"),
        ShippedTypes.kvmGuestTypesCf()
            + "\n"
            + Files.readString(seeds.resolve("bundled-types-stub.cf")));
  }

  private static ConfigCheck.Result check(String sample) throws IOException {
    Path copy = dir.resolve(Path.of(sample).getFileName());
    Files.copy(seeds.resolve(sample), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return ConfigCheck.check(copy, List.of(dir.resolve("types.cf")));
  }

  static Stream<String> cleanSamples() {
    return Stream.of(
        "kvm-sample-1.cf",
        "kvm-sample-3.cf",
        "rhev-sample-1.cf",
        "rhev-multi-kvmguest-config-1.cf",
        "rhev-multi-kvmguest-config-2.cf",
        "rhev-dr-sample.cf",
        "multi-resource-sample.cf",
        "group-rhev-vm-sg1.cf",
        "group-srdf-sg1.cf",
        "kvmguest-type-002.cf",
        "kvmguest-type-004.cf",
        "as-printed/migration-sample.cf",
        "as-printed/rhev-dr-manual-fencing-sample.cf");
  }

  @ParameterizedTest
  @MethodSource("cleanSamples")
  void cleanSamplesValidateWithoutErrors(String sample) throws IOException {
    ConfigCheck.Result r = check(sample);
    assertThat(r.diagnostics()).filteredOn(Diagnostic::isError).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("cleanSamples")
  void cleanSamplesRoundTrip(String sample) throws IOException {
    String text = Files.readString(seeds.resolve(sample));
    ConfigParser.ParseResult first = ConfigParser.parse(sample, text);
    String printed = ConfigPrinter.print(first.file());
    ConfigParser.ParseResult second = ConfigParser.parse(sample, printed);
    assertThat(second.diagnostics()).isEmpty();
    assertThat(second.file()).isEqualTo(first.file());
    assertThat(ConfigPrinter.print(second.file())).isEqualTo(printed);
  }

  @Test
  void theDrSampleCarriesItsGlobalSoftGroupDependency() throws IOException {
    ConfigCheck.Result r = check("rhev-dr-sample.cf");
    ConfigModel m = ConfigModel.of(r.files());
    assertThat(m.groupDependencies())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.parent().orElseThrow().name()).isEqualTo("VM_SG");
              assertThat(d.dependency().group()).isEqualTo("STORAGE");
              assertThat(d.dependency().location().word()).isEqualTo("global");
              assertThat(d.dependency().rigidity().word()).isEqualTo("soft");
            });
    assertThat(m.resource("kvm_res").orElseThrow().group().orElseThrow().name()).isEqualTo("VM_SG");
  }

  @Test
  void missingCommasBetweenAssociationPairsAreAccepted() throws IOException {
    ConfigCheck.Result r = check("rhev-sample-1.cf");
    ConfigModel m = ConfigModel.of(r.files());
    var rhevm =
        m.resources().get(0).resource().attributes().stream()
            .filter(a -> a.name().equals("RHEVMInfo"))
            .findFirst()
            .orElseThrow();
    assertThat(((org.havirt.config.ast.AssocValue) rhevm.value()).get("Password")).isPresent();
  }

  @Test
  void theUnbalancedQuoteIsReportedAtItsLineAndColumnOnly() throws IOException {
    ConfigCheck.Result r = check("ad-domain-sample.cf");
    assertThat(r.diagnostics())
        .filteredOn(Diagnostic::isError)
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.position().line()).isEqualTo(21);
              assertThat(d.position().column()).isEqualTo(48);
              assertThat(d.toString())
                  .endsWith(
                      "ad-domain-sample.cf:21:48: error: unterminated string: "
                          + "the quote opened here is not closed on the same line");
            });
  }

  @Test
  void theSampleWithATypoedDependencyGetsADidYouMean() throws IOException {
    ConfigCheck.Result r = check("kvm-sample-2.cf");
    assertThat(r.diagnostics())
        .filteredOn(Diagnostic::isError)
        .singleElement()
        .hasToString(
            dir.resolve("kvm-sample-2.cf")
                + ":27:15: error: there is no resource named 'dgl' (did you mean 'dg1'?)");
  }

  @Test
  void conversionDamageIsReportedWhereItIs() throws IOException {
    assertThat(check("migration-sample.cf").diagnostics())
        .filteredOn(Diagnostic::isError)
        .singleElement()
        .satisfies(d -> assertThat(d.position().line()).isEqualTo(18));
    assertThat(check("rhev-dr-manual-fencing-sample.cf").diagnostics())
        .filteredOn(Diagnostic::isError)
        .singleElement()
        .satisfies(d -> assertThat(d.position().line()).isEqualTo(7));
    assertThat(check("rhevminfo-manual-fencing-snippet.cf").hasErrors()).isTrue();
  }
}
