package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;

/**
 * One RHEV-M's VMs (optionally one cluster's), fetched in a single request and shared by every
 * resource's monitor: a listing younger than the asker's tolerance is reused, and concurrent askers
 * wait for the one request already under way. Events invalidate it. Thread-safe.
 */
final class VmListing {
  /** Fetches the listing ({@code GET /vms}); called by one thread at a time. */
  @FunctionalInterface
  interface Fetch {
    JsonNode vms(Deadline d) throws BackendException;
  }

  private final Fetch fetch;
  private Map<String, JsonNode> byName = Map.of();
  private Map<String, String> nameById = Map.of();
  private long fetchedAt;
  private boolean valid;
  // Bumped by every invalidation. A fetch that was under way when an event invalidated the
  // listing may carry the state from before the event: it is kept, but not as valid.
  private long generation;
  private CompletableFuture<Void> inFlight;

  VmListing(Fetch fetch) {
    this.fetch = fetch;
  }

  /**
   * The listing of {@code client}'s VMs, of one cluster if {@code cluster} is present. Links are
   * not expanded: a VM's host is placed by id ({@link RhevHostIds}), and expanding it for every VM
   * would only make RHEV-M's answer larger.
   */
  static VmListing of(RhevClient client, Optional<String> cluster) {
    if (cluster.isEmpty()) {
      return new VmListing(d -> client.get("vms", d));
    }
    return new VmListing(new ClusterFetch(client, cluster.get()));
  }

  /**
   * One cluster's VMs. The search's {@code *} is a wildcard even quoted, so a cluster named {@code
   * prod*} also matches {@code prod2}: only VMs whose cluster id is that of the cluster named
   * exactly so are kept. The id is looked up once, and again whenever the search returns a VM of
   * another cluster (a wildcard, or the cluster made anew under the same name).
   */
  private static final class ClusterFetch implements Fetch {
    private final RhevClient client;
    private final String cluster;
    // Fetches run one at a time (VmListing's inFlight), possibly on different threads.
    private volatile Optional<String> id = Optional.empty();

    ClusterFetch(RhevClient client, String cluster) {
      this.client = client;
      this.cluster = cluster;
    }

    @Override
    public JsonNode vms(Deadline d) throws BackendException {
      JsonNode list = client.get("vms", d, RhevSearch.by("cluster", cluster));
      boolean others = false;
      for (JsonNode vm : RhevClient.items(list, "vm")) {
        others |= id.isEmpty() || !id.get().equals(RhevHosts.clusterId(vm));
      }
      if (others || id.isEmpty()) {
        id = RhevHosts.clusterIdByName(client, cluster, d);
        if (id.isEmpty()) {
          // Not an empty cluster: a name RHEV-M does not know (names are case-sensitive). Taken
          // for an empty listing it made every running VM "not defined", a false failover.
          throw new BackendException(
              BackendException.Kind.MISCONFIGURED,
              "RHEV-M has no cluster named exactly '"
                  + cluster
                  + "' (RHEVMInfo.Cluster; names are case-sensitive)");
        }
      }
      com.fasterxml.jackson.databind.node.ArrayNode kept = RhevClient.JSON.createArrayNode();
      for (JsonNode vm : RhevClient.items(list, "vm")) {
        if (id.isPresent() && id.get().equals(RhevHosts.clusterId(vm))) {
          kept.add(vm);
        }
      }
      com.fasterxml.jackson.databind.node.ObjectNode out = RhevClient.JSON.createObjectNode();
      out.set("vm", kept);
      return out;
    }
  }

  /** Returns the VM named {@code name}, from a listing no older than {@code maxAge}. */
  Optional<JsonNode> vm(String name, Duration maxAge, Deadline d) throws BackendException {
    refreshIfOlder(maxAge, d);
    synchronized (this) {
      return Optional.ofNullable(byName.get(name));
    }
  }

  /** Returns the name of the VM with {@code id} in the last listing, if known. */
  synchronized Optional<String> nameOf(String id) {
    return Optional.ofNullable(nameById.get(id));
  }

  /** Forgets the listing: the next monitor fetches a fresh one. */
  synchronized void invalidate() {
    valid = false;
    generation++;
  }

  private void refreshIfOlder(Duration maxAge, Deadline d) throws BackendException {
    CompletableFuture<Void> mine;
    boolean fetching = false;
    long startedAt;
    synchronized (this) {
      if (valid && System.nanoTime() - fetchedAt < maxAge.toNanos()) {
        return;
      }
      if (inFlight == null) {
        inFlight = new CompletableFuture<>();
        fetching = true;
      }
      mine = inFlight;
      startedAt = generation;
    }
    if (fetching) {
      try {
        JsonNode list = fetch.vms(d);
        Map<String, JsonNode> names = new HashMap<>();
        Map<String, String> ids = new HashMap<>();
        for (JsonNode vm : RhevClient.items(list, "vm")) {
          names.put(vm.path("name").asText(), vm);
          ids.put(vm.path("id").asText(), vm.path("name").asText());
        }
        synchronized (this) {
          byName = names;
          nameById = ids;
          fetchedAt = System.nanoTime();
          valid = generation == startedAt;
          inFlight = null;
        }
        mine.complete(null);
      } catch (BackendException | RuntimeException e) {
        synchronized (this) {
          inFlight = null;
        }
        mine.completeExceptionally(e);
        throw e;
      }
      return;
    }
    try {
      mine.get(Math.max(1, d.remaining().toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new BackendException(
          BackendException.Kind.TIMED_OUT,
          "RHEV-M's VM listing did not arrive before the deadline");
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof BackendException be) {
        throw new BackendException(be.kind(), be.getMessage(), be);
      }
      throw new BackendException(
          BackendException.Kind.TRANSIENT, "RHEV-M's VM listing failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(BackendException.Kind.TRANSIENT, "interrupted");
    }
  }
}
