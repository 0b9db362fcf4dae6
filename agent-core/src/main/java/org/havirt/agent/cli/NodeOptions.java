package org.havirt.agent.cli;

import java.util.HashMap;
import java.util.Map;
import org.havirt.types.backend.VmBackendFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every command that touches a hypervisor takes; each has an environment variable too. */
public final class NodeOptions {
  @Option(
      names = "--libvirt-uri",
      paramLabel = "URI",
      defaultValue = "${env:HAVIRT_LIBVIRT_URI:-qemu:///system}",
      description = "libvirt URI of this node (env HAVIRT_LIBVIRT_URI; default ${DEFAULT-VALUE})")
  String libvirtUri;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      defaultValue = "${env:HAVIRT_STATE_DIR:-/var/lib/havirt}",
      description =
          "where the agent records the guest definitions it made (env HAVIRT_STATE_DIR; default ${DEFAULT-VALUE})")
  String stateDir;

  @Option(
      names = "--migrate-uri",
      paramLabel = "TEMPLATE",
      defaultValue = "${env:HAVIRT_MIGRATE_URI:-qemu+ssh://%h/system}",
      description =
          "libvirt URI of another hypervisor, %%h = its PhysicalServer or system name "
              + "(env HAVIRT_MIGRATE_URI; default ${DEFAULT-VALUE})")
  String migrateUri;

  @Option(
      names = "--migrate-data-uri",
      paramLabel = "TEMPLATE",
      defaultValue = "${env:HAVIRT_MIGRATE_DATA_URI:-}",
      description =
          "where the migration stream goes, e.g. tcp://%%h (env HAVIRT_MIGRATE_DATA_URI; default: libvirt's choice)")
  String migrateDataUri;

  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      defaultValue = "${env:HAVIRT_KEY_FILE:-/etc/havirt/havirt.key}",
      description =
          "the host key file that decrypts configured passwords (env HAVIRT_KEY_FILE; default ${DEFAULT-VALUE})")
  String keyFile;

  @Option(
      names = "--qemu-watch",
      negatable = true,
      defaultValue = "${env:HAVIRT_QEMU_WATCH:-true}",
      fallbackValue = "true",
      description =
          "watch each local guest's qemu process, so its death is seen before libvirt reports it "
              + "(env HAVIRT_QEMU_WATCH; default ${DEFAULT-VALUE})")
  boolean qemuWatch;

  @Option(
      names = "--rhev-ca-file",
      paramLabel = "FILE",
      defaultValue = "${env:HAVIRT_RHEV_CA_FILE:-}",
      description =
          "PEM of the CA that signed RHEV-M's certificate, for RHEV resources without "
              + "RHEVMInfo.CAFile (env HAVIRT_RHEV_CA_FILE; default: the system's CAs)")
  String rhevCaFile;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  private long rhevMaxResponseBytes;

  @Option(
      names = "--rhev-max-response-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:HAVIRT_RHEV_MAX_RESPONSE_BYTES:-67108864}",
      description =
          "the largest answer read from RHEV-M; a larger one fails the call "
              + "(env HAVIRT_RHEV_MAX_RESPONSE_BYTES; default ${DEFAULT-VALUE}, 64 MiB)")
  void rhevMaxResponseBytes(long bytes) {
    // A cap of 0 would fail every RHEV call: every RHEV resource UNKNOWN, with no hint why.
    if (bytes < 1) {
      throw new ParameterException(
          mixee.commandLine(), "--rhev-max-response-bytes must be at least 1, not " + bytes);
    }
    this.rhevMaxResponseBytes = bytes;
  }

  /** This node's backend settings from the options (and their environment variables). */
  public VmBackendFactory.Settings settings() {
    Map<String, String> m = new HashMap<>();
    m.put("libvirt.uri", libvirtUri);
    m.put("state.dir", stateDir);
    m.put("migrate.uri", migrateUri);
    m.put("migrate.data.uri", migrateDataUri == null ? "" : migrateDataUri);
    m.put("key.file", keyFile);
    m.put("qemu.watch", Boolean.toString(qemuWatch));
    // Unset means the system's CAs: an empty value must not become the path "".
    if (rhevCaFile != null && !rhevCaFile.isBlank()) {
      m.put("rhev.ca.file", rhevCaFile);
    }
    m.put("rhev.max.response.bytes", Long.toString(rhevMaxResponseBytes));
    return new VmBackendFactory.Settings(m);
  }
}
