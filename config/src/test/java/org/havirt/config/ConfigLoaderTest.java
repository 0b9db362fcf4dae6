package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  @Test
  void includesResolveRelativeToTheIncludingFile() throws IOException {
    Files.createDirectories(dir.resolve("sub/types"));
    Files.writeString(dir.resolve("main.cf"), "include \"sub/part.cf\"\n");
    Files.writeString(
        dir.resolve("sub/part.cf"), "include \"types/my.cf\"\ngroup g ( )\nMyType r ( A = 1 )\n");
    Files.writeString(dir.resolve("sub/types/my.cf"), "type MyType ( int A )\n");
    ConfigCheck.Result r = ConfigCheck.check(dir.resolve("main.cf"), List.of());
    assertThat(r.files()).hasSize(3);
    assertThat(r.diagnostics()).isEmpty();
  }

  @Test
  void aMissingIncludeIsReportedAtTheInclude() throws IOException {
    Files.writeString(dir.resolve("main.cf"), "\n  include \"nope.cf\"\n");
    ConfigCheck.Result r = ConfigCheck.check(dir.resolve("main.cf"), List.of());
    assertThat(r.diagnostics())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.position().line()).isEqualTo(2);
              assertThat(d.position().column()).isEqualTo(3);
              assertThat(d.message()).contains("nope.cf").contains("no such file");
            });
  }

  @Test
  void includeLoopsAreReportedNotFollowed() throws IOException {
    Files.writeString(dir.resolve("a.cf"), "include \"b.cf\"\n");
    Files.writeString(dir.resolve("b.cf"), "include \"a.cf\"\n");
    ConfigCheck.Result r = ConfigCheck.check(dir.resolve("a.cf"), List.of());
    assertThat(r.diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).startsWith("include loop"));
  }

  @Test
  void aFileIncludedTwiceIsReadOnce() throws IOException {
    Files.writeString(dir.resolve("t.cf"), "type X ( str A )\n");
    Files.writeString(dir.resolve("main.cf"), "include \"t.cf\"\ninclude \"./t.cf\"\n");
    ConfigCheck.Result r = ConfigCheck.check(dir.resolve("main.cf"), List.of());
    assertThat(r.files()).hasSize(2);
    assertThat(r.diagnostics()).isEmpty();
  }

  @Test
  void binaryFilesAndDirectoriesAreRefusedClearly() throws IOException {
    Files.write(dir.resolve("bin.cf"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
    assertThat(ConfigCheck.check(dir.resolve("bin.cf"), List.of()).diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("not UTF-8"));
    assertThat(ConfigCheck.check(dir, List.of()).diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("directory"));
    assertThat(ConfigCheck.check(dir.resolve("absent.cf"), List.of()).diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("no such file"));
  }
}
