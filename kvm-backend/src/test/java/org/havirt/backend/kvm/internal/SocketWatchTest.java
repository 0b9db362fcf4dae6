package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketWatchTest {
  @TempDir Path dir;

  @Test
  void theSocketComesFromTheUriOrIsTheSystemDaemons() {
    assertThat(SocketWatch.socketOf("qemu+unix:///system?socket=/x/y/libvirt-sock"))
        .contains(Path.of("/x/y/libvirt-sock"));
    assertThat(SocketWatch.socketOf("qemu:///system"))
        .contains(Path.of("/run/libvirt/libvirt-sock"));
    assertThat(SocketWatch.socketOf("qemu+tcp://host2/system")).isEmpty();
    assertThat(SocketWatch.socketOf("qemu+ssh://root@host2/system")).isEmpty();
    assertThat(SocketWatch.socketOf("test:///default")).isEmpty();
  }

  @Test
  void theKeyChangesWhenTheSocketIsRecreated() throws Exception {
    Path sock = dir.resolve("libvirt-sock");
    SocketWatch w = SocketWatch.forUri("qemu+unix:///system?socket=" + sock);
    assertThat(w.key()).isNull();
    Files.createFile(sock);
    Object first = w.key();
    assertThat(first).isNotNull().isEqualTo(w.key());
    Files.delete(sock);
    assertThat(w.key()).isNull();
    Files.createFile(sock);
    Files.setLastModifiedTime(
        sock, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    assertThat(w.key()).isNotNull().isNotEqualTo(first);
  }

  @Test
  void theModularDaemonsSocketIsWatchedToo() {
    assertThat(SocketWatch.modularSocket("qemu:///system"))
        .contains(java.nio.file.Path.of("/run/libvirt/virtqemud-sock"));
    assertThat(SocketWatch.modularSocket("qemu+unix:///system"))
        .contains(java.nio.file.Path.of("/run/libvirt/virtqemud-sock"));
  }
}
