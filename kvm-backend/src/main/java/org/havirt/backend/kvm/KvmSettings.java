package org.havirt.backend.kvm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.havirt.types.HostNames;
import org.havirt.types.backend.VmBackendFactory;

/**
 * Node settings of the KVM backend.
 *
 * @param uri this node's libvirt URI ({@code libvirt.uri}, default {@code qemu:///system})
 * @param stateDir where the agent records the definitions it made ({@code state.dir})
 * @param migrateUriTemplate the libvirt URI of another hypervisor, {@code %h} standing for its host
 *     ({@code migrate.uri}, default {@code qemu+ssh://%h/system}); also used to look at peers
 * @param migrateDataUri where the migration stream goes, {@code %h} as above ({@code
 *     migrate.data.uri}); empty lets libvirt choose
 * @param callThreads how many libvirt calls may be in progress at once
 * @param peerCheckTimeout how long the split-brain guard waits for each peer
 * @param watchQemu whether guests' QEMU processes are watched for a faster exit detection ({@code
 *     qemu.watch}, default true; only ever active for a local QEMU driver)
 */
public record KvmSettings(
    String uri,
    Path stateDir,
    String migrateUriTemplate,
    Optional<String> migrateDataUri,
    int callThreads,
    Duration peerCheckTimeout,
    boolean watchQemu) {

  /** Settings with the QEMU watch on. */
  public KvmSettings(
      String uri,
      Path stateDir,
      String migrateUriTemplate,
      Optional<String> migrateDataUri,
      int callThreads,
      Duration peerCheckTimeout) {
    this(uri, stateDir, migrateUriTemplate, migrateDataUri, callThreads, peerCheckTimeout, true);
  }

  public static final String DEFAULT_URI = "qemu:///system";
  public static final String DEFAULT_MIGRATE_URI = "qemu+ssh://%h/system";

  /** Reads the settings; missing keys take their defaults. */
  public static KvmSettings from(VmBackendFactory.Settings s) {
    return new KvmSettings(
        s.get("libvirt.uri").orElse(DEFAULT_URI),
        Path.of(s.get("state.dir").orElse("/var/lib/havirt")),
        s.get("migrate.uri").orElse(DEFAULT_MIGRATE_URI),
        s.get("migrate.data.uri"),
        s.get("libvirt.call.threads").map(Integer::parseInt).orElse(16),
        Duration.ofSeconds(s.get("peer.check.seconds").map(Long::parseLong).orElse(5L)),
        !s.get("qemu.watch").map(String::strip).orElse("true").equals("false"));
  }

  /**
   * Returns the libvirt URI of hypervisor {@code host} (an IPv6 literal in brackets).
   *
   * @throws IllegalArgumentException if {@code host} is not a host name or IP literal: it would
   *     change the URI, not only name its host
   */
  public String hypervisorUri(String host) {
    return migrateUriTemplate.replace("%h", HostNames.forUri(host));
  }

  /**
   * Returns the migration stream URI for {@code host}, if one is configured.
   *
   * @throws IllegalArgumentException as {@link #hypervisorUri}
   */
  public Optional<String> dataUri(String host) {
    String h = HostNames.forUri(host);
    return migrateDataUri.map(t -> t.replace("%h", h));
  }
}
