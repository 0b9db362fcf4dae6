package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.havirt.types.Deadline;
import org.havirt.types.backend.ActionOutput;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;
import org.havirt.types.backend.VmEventListener;
import org.havirt.types.state.RhevStateTable;
import org.havirt.types.state.VmState;
import org.havirt.types.state.VmStatus;

/**
 * The RHEV backend: VMs in RHEV-M/oVirt, driven over its REST API. This node is one RHEV host (node
 * setting {@code rhev.host}); a VM running on another host is never started here. Thread-safe.
 */
public final class RhevBackend implements VmBackend, org.havirt.types.backend.SiteFailover {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RhevBackend.class);
  private final String thisHost;
  private final Optional<Path> defaultCa;
  private final Path keyFile;
  private final Map<String, RhevClient> clients = new ConcurrentHashMap<>();
  private final Map<String, VmListing> listings = new ConcurrentHashMap<>();
  private final Map<String, EventPoller> pollers = new ConcurrentHashMap<>();
  private final java.util.concurrent.CopyOnWriteArrayList<VmEventListener> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Duration eventPoll;

  public RhevBackend(VmBackendFactory.Settings settings) {
    this.thisHost = settings.get("rhev.host").orElseGet(RhevBackend::hostName);
    this.defaultCa = settings.get("rhev.ca.file").map(Path::of);
    this.eventPoll =
        Duration.ofMillis(settings.get("rhev.events.poll.ms").map(Long::parseLong).orElse(1000L));
    this.keyFile =
        settings
            .get("key.file")
            .map(Path::of)
            .orElse(org.havirt.types.PasswordCipher.DEFAULT_KEY_FILE);
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  @Override
  public String name() {
    return "rhev";
  }

  private RhevClient client(GuestSpec g) throws BackendException {
    String url = need(g, "URL");
    String user = need(g, "User");
    String password = password(need(g, "Password"));
    Optional<Path> ca = g.associationKey("RHEVMInfo", "CAFile").map(Path::of).or(() -> defaultCa);
    String key =
        url
            + "\u0000"
            + user
            + "\u0000"
            + password.hashCode()
            + "\u0000"
            + ca.map(Path::toString).orElse("");
    RhevClient c = clients.get(key);
    if (c == null) {
      c = new RhevClient(url, user, password, ca);
      RhevClient raced = clients.putIfAbsent(key, c);
      if (raced != null) {
        c.close();
        c = raced;
      }
    }
    return c;
  }

  /** Decrypts RHEVMInfo.Password; a plain password in the configuration is refused. */
  private String password(String value) throws BackendException {
    if (!org.havirt.types.PasswordCipher.isEncrypted(value)) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "RHEVMInfo.Password is not encrypted: replace it with the output of 'havirt encrypt'");
    }
    try {
      return org.havirt.types.PasswordCipher.open(keyFile).decrypt(value);
    } catch (java.io.IOException e) {
      throw new BackendException(
          Kind.MISCONFIGURED,
          "cannot read the key file "
              + keyFile
              + ": "
              + e.getMessage()
              + " (run 'havirt encrypt' on this host, or copy the key file from where the password was encrypted)");
    } catch (IllegalArgumentException e) {
      throw new BackendException(Kind.MISCONFIGURED, "RHEVMInfo.Password: " + e.getMessage());
    }
  }

  private static String need(GuestSpec g, String key) throws BackendException {
    return g.associationKey("RHEVMInfo", key)
        .orElseThrow(
            () ->
                new BackendException(
                    Kind.MISCONFIGURED,
                    "RHEVMInfo." + key + " is not set for resource " + g.resource()));
  }

  /** Returns the VM named exactly {@code name} (the engine's search ignores case; we do not). */
  static Optional<JsonNode> findVm(RhevClient c, String name, Deadline d) throws BackendException {
    JsonNode list = c.get("vms", d, "search", "name=" + name, "follow", "host");
    for (JsonNode vm : list.path("vm")) {
      if (vm.path("name").asText().equals(name)) {
        return Optional.of(vm);
      }
    }
    return Optional.empty();
  }

  static JsonNode requireVm(RhevClient c, GuestSpec g, Deadline d) throws BackendException {
    return findVm(c, g.guestName(), d)
        .orElseThrow(
            () ->
                new BackendException(
                    Kind.NOT_FOUND, "RHEV-M has no VM named '" + g.guestName() + "'"));
  }

  static String hostOf(JsonNode vm) {
    return vm.path("host").path("name").asText("");
  }

  /**
   * Returns the shared listing of the resource's RHEV-M (and cluster), starting its event poller on
   * first use.
   */
  private VmListing listing(RhevClient c, GuestSpec g) {
    Optional<String> cluster = g.associationKey("RHEVMInfo", "Cluster");
    String key = System.identityHashCode(c) + "\u0000" + cluster.orElse("");
    return listings.computeIfAbsent(
        key,
        k -> {
          VmListing l = VmListing.of(c, cluster);
          pollers.computeIfAbsent(k, p -> new EventPoller(c, l, listeners, eventPoll));
          return l;
        });
  }

  /**
   * Monitors read the shared listing: all the VMs of a RHEV-M (cluster) cost one request per
   * monitor interval, not one each. Events invalidate the listing so changes are not stale.
   */
  @Override
  public VmStatus inspect(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    Duration tolerance =
        Duration.ofSeconds(Math.max(0, guest.integer("MonitorInterval").orElse(60) - 1));
    Optional<JsonNode> vm = listing(c, guest).vm(guest.guestName(), tolerance, deadline);
    if (vm.isEmpty()) {
      return VmStatus.of(VmState.NOT_DEFINED, "no VM named '" + guest.guestName() + "' in RHEV-M");
    }
    return classify(vm.get());
  }

  VmStatus classify(JsonNode vm) {
    VmStatus s = RhevStateTable.classify(vm.path("status").asText(""));
    String host = hostOf(vm);
    Optional<String> on = host.isEmpty() ? Optional.empty() : Optional.of(host);
    boolean elsewhere = on.isPresent() && !host.equals(thisHost) && runs(s.state());
    return new VmStatus(elsewhere ? VmState.RUNNING_ELSEWHERE : s.state(), s.native_(), on);
  }

  private static boolean runs(VmState s) {
    return switch (s) {
      case RUNNING, LAUNCHING, POWERING_UP, RESTORING, POWERING_DOWN, PAUSED, PAUSED_IO_ERROR ->
          true;
      case DOWN,
              CRASHED,
              NOT_DEFINED,
              SUSPENDED,
              MIGRATING,
              MIGRATED_AWAY,
              RUNNING_ELSEWHERE,
              REBOOTING,
              LOCKED,
              UNKNOWN ->
          false;
    };
  }

  @Override
  public void start(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    JsonNode vm = requireVm(c, guest, deadline);
    VmStatus s = classify(vm);
    switch (s.state()) {
      case RUNNING, LAUNCHING, POWERING_UP, RESTORING, PAUSED, PAUSED_IO_ERROR -> {
        return; // already running here: online is idempotent
      }
      case RUNNING_ELSEWHERE ->
          throw new BackendException(
              Kind.FAILED,
              "VM "
                  + guest.guestName()
                  + " is "
                  + s.native_()
                  + " on host "
                  + hostOf(vm)
                  + "; refusing to start a second copy");
      case UNKNOWN -> vm = ManualFencing.releaseFromDeadHost(c, guest, vm, deadline);
      case DOWN,
          CRASHED,
          NOT_DEFINED,
          SUSPENDED,
          POWERING_DOWN,
          MIGRATING,
          MIGRATED_AWAY,
          REBOOTING,
          LOCKED -> {
        // try to start: RHEV-M refuses what it cannot do, with a reason
      }
    }
    JsonNode host = RhevHosts.require(c, thisHost, "this system", deadline);
    SiteNetwork.prepare(c, guest, vm, host, deadline);
    ObjectNode body = RhevClient.JSON.createObjectNode();
    body.putObject("vm")
        .putObject("placement_policy")
        .putObject("hosts")
        .putArray("host")
        .addObject()
        .put("name", thisHost);
    c.post("vms/" + vm.path("id").asText() + "/start", body, deadline);
    listing(c, guest).invalidate();
  }

  @Override
  public void shutdown(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    Optional<JsonNode> vm = findVm(c, guest.guestName(), deadline);
    if (vm.isEmpty() || vm.get().path("status").asText().equals("down")) {
      return;
    }
    c.post(
        "vms/" + vm.get().path("id").asText() + "/shutdown",
        RhevClient.JSON.createObjectNode(),
        deadline);
    listing(c, guest).invalidate();
    long delay = guest.integer("DelayAfterGuestOffline").orElse(30);
    Deadline until = deadline.atMost(Duration.ofSeconds(delay));
    while (!until.isExpired()) {
      Optional<JsonNode> now = findVm(c, guest.guestName(), deadline);
      if (now.isEmpty() || now.get().path("status").asText().equals("down")) {
        return;
      }
      try {
        Thread.sleep(
            Math.min(1000, Math.max(1, until.remaining().toMillis()))); // RHEV-M has no push: poll
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void destroy(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    Optional<JsonNode> vm = findVm(c, guest.guestName(), deadline);
    if (vm.isEmpty() || vm.get().path("status").asText().equals("down")) {
      return;
    }
    c.post(
        "vms/" + vm.get().path("id").asText() + "/stop",
        RhevClient.JSON.createObjectNode(),
        deadline);
    listing(c, guest).invalidate();
  }

  @Override
  public void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline)
      throws BackendException {
    RhevClient c = client(guest);
    JsonNode vm = requireVm(c, guest, deadline);
    String affinity = vm.path("placement_policy").path("affinity").asText("migratable");
    if (!affinity.equals("migratable")) {
      throw new BackendException(
          Kind.FAILED,
          "VM "
              + guest.guestName()
              + " has placement affinity '"
              + affinity
              + "', which does not allow migration");
    }
    JsonNode host = RhevHosts.require(c, target.hypervisor(), "the target system", deadline);
    if (!host.path("cluster").path("id").asText().equals(vm.path("cluster").path("id").asText())) {
      throw new BackendException(
          Kind.FAILED,
          "host "
              + target.hypervisor()
              + " is in another RHEV cluster than VM "
              + guest.guestName()
              + ": migration across clusters (or DR sites) is refused; fail over instead");
    }
    ObjectNode body = RhevClient.JSON.createObjectNode();
    body.putObject("host").put("name", target.hypervisor());
    c.post("vms/" + vm.path("id").asText() + "/migrate", body, deadline);
    listing(c, guest).invalidate();
  }

  @Override
  public ActionOutput action(GuestSpec guest, String action, List<String> args, Deadline deadline)
      throws BackendException {
    return switch (action.toLowerCase(java.util.Locale.ROOT)) {
      case "guestmigrated" -> {
        VmStatus s = inspect(guest, deadline);
        yield new ActionOutput(
            true,
            "VM "
                + guest.guestName()
                + " is "
                + s.native_()
                + s.host()
                    .map(h -> " on host " + h + (h.equals(thisHost) ? " (this host)" : ""))
                    .orElse(""));
      }
      case "devscan" -> devScan(guest, deadline);
      case "vmconfigsync" ->
          new ActionOutput(
              false,
              "vmconfigsync is for KVM guests: RHEV-M keeps the configuration of "
                  + guest.guestName()
                  + " itself");
      default ->
          throw new BackendException(
              Kind.UNSUPPORTED, "action '" + action + "' is not supported for RHEV guests");
    };
  }

  /** Lists the VM's disks as RHEV-M sees them; any disk not ok or not active fails the scan. */
  private ActionOutput devScan(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    JsonNode vm = requireVm(c, guest, deadline);
    JsonNode list =
        c.get("vms/" + vm.path("id").asText() + "/diskattachments", deadline, "follow", "disk");
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    for (JsonNode a : list.path("disk_attachment")) {
      JsonNode d = a.path("disk");
      String status = d.path("status").asText("unknown");
      boolean active = a.path("active").asBoolean(true); // "true" as a string too
      boolean good = status.equals("ok") && active;
      ok &= good;
      out.append("disk ")
          .append(d.path("name").asText(d.path("id").asText("?")))
          .append(" (")
          .append(a.path("interface").asText("?"))
          .append(active ? "" : ", inactive")
          .append("): ")
          .append(status)
          .append(good ? " OK" : " NOT USABLE")
          .append('\n');
    }
    if (out.length() == 0) {
      out.append("VM ").append(guest.guestName()).append(" has no disks\n");
    }
    return new ActionOutput(ok, out.toString().strip());
  }

  @Override
  public List<org.havirt.types.backend.Check> verify(GuestSpec guest, Deadline deadline) {
    return RhevChecks.verify(this::client, guest, thisHost, deadline);
  }

  @Override
  public String takeOverSite(
      GuestSpec guest,
      Duration wait,
      Deadline deadline,
      java.util.function.Consumer<String> progress)
      throws BackendException {
    return SpmFailover.takeOver(client(guest), guest, thisHost, wait, deadline, progress);
  }

  @Override
  public AutoCloseable subscribe(VmEventListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public void close() {
    pollers.values().forEach(EventPoller::close);
    pollers.clear();
    listings.clear();
    clients.values().forEach(RhevClient::close);
    clients.clear();
  }
}
