package org.havirt.kvm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.GuestSpec;

/** Builds guest specs and domain XML for the KVM tests. */
final class Guests {
  private Guests() {}

  static GuestSpec spec(String guest, String... attrs) {
    return specWithPeers(guest, List.of(), attrs);
  }

  /** {@code attrs} are name, value pairs. */
  static GuestSpec specWithPeers(String guest, List<String> peers, String... attrs) {
    Map<String, AttributeValue> m = new LinkedHashMap<>();
    m.put("GuestName", new AttributeValue.Scalar(guest));
    m.put("DelayAfterGuestOffline", new AttributeValue.Scalar("5"));
    for (int i = 0; i < attrs.length; i += 2) {
      m.put(attrs[i], new AttributeValue.Scalar(attrs[i + 1]));
    }
    return new GuestSpec("res_" + guest, m, peers);
  }

  /** A test-driver domain. */
  static String testXml(String name) {
    return "<domain type='test'><name>"
        + name
        + "</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os></domain>";
  }

  /** A test-driver domain with one disk at {@code disk}. */
  static String testXmlWithDisk(String name, String disk) {
    return "<domain type='test'><name>"
        + name
        + "</name><memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>"
        + "<source file='"
        + disk
        + "'/><target dev='vda' bus='virtio'/></disk></devices></domain>";
  }

  /** A diskless QEMU guest under TCG: it sits in SeaBIOS, which is all the tests need. */
  static String qemuXml(String name) {
    return "<domain type='qemu'><name>"
        + name
        + "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
        + "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os><features><acpi/></features>"
        + "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>"
        + "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><serial type='pty'/><console type='pty'/>"
        + "<memballoon model='none'/></devices></domain>";
  }
}
