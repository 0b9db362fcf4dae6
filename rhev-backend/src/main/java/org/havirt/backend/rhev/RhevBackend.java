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
 * setting {@code rhev.host}, compared with the VMs' hosts by id, see {@link RhevHostIds}); a VM
 * running on another host is never started, stopped or migrated from here (spec §6). Thread-safe.
 */
public final class RhevBackend implements VmBackend, org.havirt.types.backend.SiteFailover {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RhevBackend.class);
  private final String thisHost;
  private final RhevClients clients;
  private final Map<ListingKey, VmListing> listings = new ConcurrentHashMap<>();
  private final Map<ListingKey, EventPoller> pollers = new ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService reaper;
  private final Map<RhevClient, RhevHostIds> hostIds = new ConcurrentHashMap<>();
  private final java.util.concurrent.CopyOnWriteArrayList<VmEventListener> listeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Duration eventPoll;
  private final boolean unboundFails;

  public RhevBackend(VmBackendFactory.Settings settings) {
    this.thisHost = settings.get("rhev.host").orElseGet(RhevBackend::hostName);
    this.eventPoll =
        Duration.ofMillis(settings.get("rhev.events.poll.ms").map(Long::parseLong).orElse(1000L));
    // havirtverify sets it: an unbound password fails the check there, never in the agent.
    this.unboundFails = settings.get("rhev.unbound.password").map("fail"::equals).orElse(false);
    Duration idle =
        Duration.ofMillis(settings.get("rhev.idle.close.ms").map(Long::parseLong).orElse(600_000L));
    this.clients =
        new RhevClients(
            settings.get("rhev.ca.file").map(Path::of),
            settings
                .get("key.file")
                .map(Path::of)
                .orElse(org.havirt.types.PasswordCipher.DEFAULT_KEY_FILE),
            settings
                .get("rhev.max.response.bytes")
                .map(Long::parseLong)
                .orElse(RhevClient.DEFAULT_MAX_BODY),
            idle);
    this.reaper =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "havirt-rhevm-idle");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(100, idle.toMillis() / 4);
    reaper.scheduleWithFixedDelay(
        this::closeIdle, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** A listing (and its events poller) is per client and cluster. */
  private record ListingKey(RhevClient client, String cluster) {}

  /**
   * Stops what serves resources that are gone or were modified to name other credentials: the
   * backend hears of neither, but such a client is no longer asked for by any entry point. Its
   * pollers stop, so a deleted resource causes no more requests to its RHEV-M.
   */
  private void closeIdle() {
    try {
      List<RhevClient> closed = clients.closeIdle();
      for (RhevClient c : closed) {
        hostIds.remove(c);
      }
      pollers
          .entrySet()
          .removeIf(
              e -> {
                if (clients.live(e.getKey().client())) {
                  return false;
                }
                e.getValue().close();
                listings.remove(e.getKey());
                return true;
              });
      hostIds.keySet().removeIf(c -> !clients.live(c));
    } catch (RuntimeException e) {
      log.warn("closing idle RHEV-M clients failed: {}", e.toString());
    }
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
    return clients.client(g);
  }

  /**
   * Returns the VM named exactly {@code name}: the name is quoted for RHEV-M's search, and since
   * {@code *} is a wildcard even in quotes, every match is compared with it.
   */
  static Optional<JsonNode> findVm(RhevClient c, String name, Deadline d) throws BackendException {
    JsonNode list = c.get("vms", d, RhevSearch.byName(name)); // hosts are placed by id
    for (JsonNode vm : RhevClient.items(list, "vm")) {
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

  /** This node's host identity as seen through {@code c} (one per client, spec §6). */
  private RhevHostIds hostIds(RhevClient c) {
    return hostIds.computeIfAbsent(c, k -> new RhevHostIds(k, thisHost));
  }

  /**
   * Returns the shared listing of the resource's RHEV-M (and cluster), starting its event poller on
   * first use.
   */
  private VmListing listing(RhevClient c, GuestSpec g) {
    Optional<String> cluster = g.associationKey("RHEVMInfo", "Cluster");
    ListingKey key = new ListingKey(c, cluster.orElse(""));
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
    return classify(c, vm.get(), deadline);
  }

  /**
   * The state table's verdict, placed by host id: a running VM on another host is
   * RUNNING_ELSEWHERE; one whose host cannot be established is UNKNOWN, never ONLINE here. Throws
   * when RHEV-M's host list is needed and cannot be read.
   */
  private VmStatus classify(RhevClient c, JsonNode vm, Deadline d) throws BackendException {
    VmStatus s = RhevStateTable.classify(vm.path("status").asText(""));
    if (!runs(s.state())) {
      // Not running anywhere, or a state the table already maps the same on every host: the
      // host only names where, for the reason; not being able to name it changes nothing.
      Optional<String> on = Optional.empty();
      try {
        String name = hostIds(c).place(vm, d).hostName();
        on = name.isEmpty() ? on : Optional.of(name);
      } catch (BackendException e) {
        log.debug("host of a {} VM not named: {}", s.native_(), e.getMessage());
      }
      return new VmStatus(s.state(), s.native_(), on);
    }
    RhevHostIds.Place p = hostIds(c).place(vm, d);
    return switch (p.where()) {
        // Ours: the table's state as it is.
      case HERE -> new VmStatus(s.state(), s.native_(), Optional.of(p.hostName()));
        // Another host's: INTENTIONAL OFFLINE here, never ONLINE.
      case ELSEWHERE ->
          new VmStatus(VmState.RUNNING_ELSEWHERE, s.native_(), Optional.of(p.hostName()));
        // Running, but nowhere RHEV-M says: cannot tell whether here.
      case NO_HOST -> VmStatus.of(VmState.UNKNOWN, s.native_() + ", but RHEV-M names no host");
        // A host that may or may not be this one: cannot tell.
      case UNESTABLISHED -> VmStatus.of(VmState.UNKNOWN, s.native_() + "; " + p.why());
    };
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
    VmStatus s = classify(c, vm, deadline);
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
                  + s.host().orElse("?")
                  + "; refusing to start a second copy");
      case UNKNOWN -> {
        if (RhevStateTable.classify(vm.path("status").asText("")).state() != VmState.UNKNOWN) {
          // RHEV-M says it runs, but not where we can establish: it may run here or elsewhere.
          throw new BackendException(
              Kind.TRANSIENT, "VM " + guest.guestName() + " is " + s.native_() + "; not started");
        }
        vm = ManualFencing.releaseFromDeadHost(c, guest, vm, deadline);
      }
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

  /**
   * Asks the guest to shut down, only if it runs on this node's RHEV host ({@link RhevStops});
   * waits up to DelayAfterGuestOffline for it to be down.
   */
  @Override
  public void shutdown(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    Optional<JsonNode> vm = findVm(c, guest.guestName(), deadline);
    if (vm.isEmpty() || !mayStop(c, guest, vm.get(), "offline", deadline)) {
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

  /** Powers the VM off, only if it runs on this node's RHEV host ({@link RhevStops}). */
  @Override
  public void destroy(GuestSpec guest, Deadline deadline) throws BackendException {
    RhevClient c = client(guest);
    Optional<JsonNode> vm = findVm(c, guest.guestName(), deadline);
    if (vm.isEmpty() || !mayStop(c, guest, vm.get(), "clean", deadline)) {
      return;
    }
    c.post(
        "vms/" + vm.get().path("id").asText() + "/stop",
        RhevClient.JSON.createObjectNode(),
        deadline);
    listing(c, guest).invalidate();
  }

  /**
   * Returns whether {@code entry} may stop {@code vm}: true when it runs here; false, logged, when
   * there is nothing to stop here (the monitor that follows tells the engine where it is); throws
   * TRANSIENT, which keeps the resource UNKNOWN and stops nothing, when where it runs cannot be
   * established.
   */
  private boolean mayStop(RhevClient c, GuestSpec guest, JsonNode vm, String entry, Deadline d)
      throws BackendException {
    Optional<org.havirt.types.state.RhevVmStatus> status =
        org.havirt.types.state.RhevVmStatus.fromWire(vm.path("status").asText(""));
    if (status.isEmpty()) {
      throw new BackendException(
          Kind.TRANSIENT,
          "VM "
              + guest.guestName()
              + " has the unrecognised status '"
              + vm.path("status").asText("")
              + "'; not stopping it");
    }
    RhevStops.Decision decision =
        RhevStops.decide(guest.guestName(), status.get(), hostIds(c).place(vm, d));
    return switch (decision.verdict()) {
      case ACT -> true; // it runs on this node's host
      case NOTHING -> {
        log.info("{} of {}: {}", entry, guest.resource(), decision.message());
        yield false; // not here: nothing to stop, and nothing was
      }
      case REFUSE -> {
        log.warn("{} of {} refused: {}", entry, guest.resource(), decision.message());
        throw new BackendException(Kind.TRANSIENT, decision.message());
      }
    };
  }

  @Override
  public void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline)
      throws BackendException {
    RhevClient c = client(guest);
    RhevMigration.migrate(c, hostIds(c), thisHost, guest, target, deadline);
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
      case "devscan" -> RhevDevScan.scan(client(guest), guest, deadline);
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

  /**
   * Whether the resource's RHEV-M explains a monitor timeout (spec §6): a RHEV monitor reads the
   * one shared listing of that RHEV-M, so its slowness, never the VM, is what times out. Trouble is
   * any request to it during {@code window} that failed, timed out or took more than half the
   * window, or one in flight for longer than that now. Health only when RHEV-M answered throughout;
   * with no answer in the window, a fresh request ({@code GET /}, within the deadline and half the
   * window) decides.
   */
  @Override
  public Optional<String> controlTrouble(GuestSpec guest, Duration window, Deadline deadline) {
    RhevClient c;
    try {
      c = client(guest);
    } catch (BackendException e) {
      return Optional.of("RHEV-M cannot be asked: " + e.getMessage());
    }
    Optional<String> trouble = c.requests().trouble(window);
    if (trouble.isPresent() || c.requests().answeredWithin(window)) {
      return trouble.map(t -> "RHEV-M: " + t);
    }
    try {
      c.get("", deadline.atMost(window.dividedBy(2)));
    } catch (BackendException e) {
      return Optional.of("RHEV-M did not answer a liveness request: " + e.getMessage());
    }
    return c.requests().trouble(window).map(t -> "RHEV-M: " + t);
  }

  @Override
  public List<org.havirt.types.backend.Check> verify(GuestSpec guest, Deadline deadline) {
    return RhevChecks.verify(
        this::client, clients.keyFile(), unboundFails, guest, thisHost, deadline);
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
    reaper.shutdownNow();
    pollers.values().forEach(EventPoller::close);
    pollers.clear();
    listings.clear();
    hostIds.clear();
    clients.close();
  }
}
