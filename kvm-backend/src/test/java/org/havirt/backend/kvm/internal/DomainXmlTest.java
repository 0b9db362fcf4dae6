package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DomainXmlTest {
  @Test
  void readsNameAndDisks() {
    var doc =
        DomainXml.parse(
            """
        <domain type='kvm'><name>vm1</name><devices>
          <disk type='file' device='disk'><source file='/vm/a.qcow2'/><target dev='vda'/></disk>
          <disk type='block' device='disk'><source dev='/dev/vg/b'/><target dev='vdb'/></disk>
          <disk type='file' device='cdrom'><target dev='hdc'/></disk>
          <disk type='network' device='disk'><source protocol='rbd' name='pool/img'/><target dev='vdc'/></disk>
        </devices><metadata><x><name>not-this</name></x></metadata></domain>""");
    assertThat(DomainXml.name(doc)).isEqualTo("vm1");
    assertThat(DomainXml.disks(doc))
        .containsExactly(
            new DomainXml.DiskSource("disk", "vda", "/vm/a.qcow2", "file"),
            new DomainXml.DiskSource("disk", "vdb", "/dev/vg/b", "block"),
            new DomainXml.DiskSource("cdrom", "hdc", "", "file"),
            new DomainXml.DiskSource("disk", "vdc", "pool/img", "network"));
  }

  @Test
  void refusesWhatIsNotADomainAndExternalEntities() {
    assertThatThrownBy(() -> DomainXml.parse("<network/>")).hasMessageContaining("not <domain>");
    assertThatThrownBy(() -> DomainXml.parse("<domain><name>x</name"))
        .hasMessageStartingWith("not well-formed XML");
    assertThatThrownBy(
            () ->
                DomainXml.parse(
                    "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain><name>&x;</name></domain>"))
        .hasMessageStartingWith("not well-formed XML");
  }

  @Test
  void withUuidSetsOrAddsTheUuidAndKeepsTheRest() {
    String without = "<domain><name>vm1</name><vcpu>4</vcpu></domain>";
    var added =
        DomainXml.parse(DomainXml.withUuid(without, "11111111-2222-3333-4444-555555555555"));
    assertThat(DomainXml.uuid(added)).isEqualTo("11111111-2222-3333-4444-555555555555");
    assertThat(DomainXml.name(added)).isEqualTo("vm1");
    assertThat(added.getElementsByTagName("vcpu").item(0).getTextContent()).isEqualTo("4");
    String other = "<domain><name>vm1</name><uuid>aaaa</uuid></domain>";
    assertThat(DomainXml.uuid(DomainXml.parse(DomainXml.withUuid(other, "bbbb"))))
        .isEqualTo("bbbb");
    assertThat(DomainXml.uuid(DomainXml.parse(without))).isEmpty();
  }
}
