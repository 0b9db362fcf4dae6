package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QemuProcessesTest {
  @TempDir Path proc;

  void process(long pid, String... argv) throws Exception {
    Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
    Files.write(
        dir.resolve("cmdline"), (String.join("\0", argv) + "\0").getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void findsEmulatorsByTheirUuidAndNothingElse() throws Exception {
    String uuid = "39aa4bf1-425c-4037-a228-0f26b0d946ce";
    process(10, "/usr/bin/qemu-system-x86_64", "-name", "guest=a", "-uuid", uuid, "-S");
    process(11, "qemu-kvm", "-uuid", "0A0A0A0A-0000-4000-8000-00000000000A");
    // Not emulators, though they name a UUID.
    process(12, "/usr/bin/virsh", "dominfo", "-uuid", uuid);
    process(13, "/usr/bin/qemu-img", "-uuid", "11111111-0000-4000-8000-000000000001");
    process(14, "/usr/bin/qemu-system-x86_64", "-uuid"); // truncated
    Files.createDirectories(proc.resolve("15")); // no cmdline: gone meanwhile
    Files.write(proc.resolve("16"), new byte[0]); // not a directory
    Files.createDirectories(proc.resolve("self"));
    Files.createDirectories(proc.resolve("17"));
    Files.write(proc.resolve("17/cmdline"), new byte[0]); // a kernel thread
    assertThat(QemuProcesses.byUuid(proc))
        .containsOnlyKeys(uuid, "0a0a0a0a-0000-4000-8000-00000000000a")
        .containsEntry(uuid, 10L)
        .containsEntry("0a0a0a0a-0000-4000-8000-00000000000a", 11L);
    assertThat(QemuProcesses.runs(proc, 10, uuid)).isTrue();
    assertThat(QemuProcesses.runs(proc, 12, uuid)).isFalse();
    assertThat(QemuProcesses.runs(proc, 99, uuid)).isFalse();
  }

  @Test
  void noProcDirectoryFindsNothing() {
    assertThat(QemuProcesses.byUuid(proc.resolve("missing"))).isEmpty();
  }
}
