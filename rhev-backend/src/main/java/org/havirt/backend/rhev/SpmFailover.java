package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.BackendException.Kind;
import org.havirt.types.backend.GuestSpec;

/**
 * The RHEV DR preonline trigger (spec §7, seed ch. 17): the storage pool manager (SPM) of the
 * datacenter must run in this site's RHEV cluster before its VMs start here. A non_responsive SPM
 * host in this cluster is fenced (manual confirmation); an SPM in the remote cluster is pushed here
 * by deactivating the remote hosts (fencing a non_responsive remote SPM host first), waiting for
 * the SPM to move, then re-activating the hosts it deactivated. Stateless.
 */
final class SpmFailover {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SpmFailover.class);

  private SpmFailover() {}

  static String takeOver(
      RhevClient c,
      GuestSpec guest,
      String thisHost,
      Duration wait,
      Deadline deadline,
      Consumer<String> progress)
      throws BackendException {
    String local = localCluster(c, guest, thisHost, deadline);
    String localName = RhevHosts.clusterName(c, local, deadline);
    Optional<JsonNode> spm = spm(RhevHosts.all(c, deadline));
    if (spm.isPresent()
        && RhevHosts.clusterId(spm.get()).equals(local)
        && status(spm.get()).equals("up")) {
      String s = "the SPM is host " + name(spm.get()) + " in this cluster " + localName + " (up)";
      progress.accept(s);
      return s;
    }
    List<JsonNode> deactivated = new ArrayList<>();
    java.util.Set<String> fenced = new java.util.HashSet<>();
    java.util.Set<String> pushedFrom = new java.util.HashSet<>();
    Deadline until = deadline.atMost(wait);
    progress.accept(
        "waiting up to " + wait.toSeconds() + " s for the SPM to run in cluster " + localName);
    try {
      while (true) {
        spm = spm(RhevHosts.all(c, deadline));
        if (spm.isEmpty()) {
          // No SPM: the engine is electing one. Nothing to do but wait.
        } else if (RhevHosts.clusterId(spm.get()).equals(local)) {
          JsonNode h = spm.get();
          if (status(h).equals("up")) {
            String s = "the SPM is now host " + name(h) + " in this cluster " + localName;
            progress.accept(s);
            return s;
          }
          if (status(h).equals("non_responsive") && fenced.add(name(h))) {
            progress.accept("the SPM host " + name(h) + " in this cluster is non_responsive");
            fence(c, h, deadline, progress);
          }
        } else {
          JsonNode h = spm.get();
          String remote = RhevHosts.clusterId(h);
          if (pushedFrom.add(remote)) {
            progress.accept(
                "the SPM is host "
                    + name(h)
                    + " in the remote cluster "
                    + RhevHosts.clusterName(c, remote, deadline)
                    + " ("
                    + status(h)
                    + ")");
            if (status(h).equals("non_responsive") && fenced.add(name(h))) {
              fence(c, h, deadline, progress);
            }
            deactivated.addAll(deactivateCluster(c, remote, deadline, progress));
          }
        }
        if (until.isExpired()) {
          throw new BackendException(
              Kind.TIMED_OUT,
              "the SPM did not move to RHEV cluster "
                  + localName
                  + " within "
                  + wait.toSeconds()
                  + " s; check the hosts of this site in RHEV-M and that storage replication"
                  + " is read-write here");
        }
        sleep(Math.min(500, Math.max(1, until.remaining().toMillis()))); // RHEV-M has no push
      }
    } finally {
      for (JsonNode r : deactivated) {
        try {
          c.post(
              "hosts/" + r.path("id").asText() + "/activate",
              RhevClient.JSON.createObjectNode(),
              deadline);
          progress.accept("re-activated remote host " + name(r));
        } catch (BackendException e) {
          progress.accept("could not re-activate remote host " + name(r) + ": " + e.getMessage());
          log.warn("remote host not re-activated host={} reason={}", name(r), e.getMessage());
        }
      }
    }
  }

  /** Puts the answering hosts of {@code cluster} in maintenance; returns those it deactivated. */
  private static List<JsonNode> deactivateCluster(
      RhevClient c, String cluster, Deadline d, Consumer<String> progress) throws BackendException {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : RhevHosts.all(c, d)) {
      if (RhevHosts.clusterId(r).equals(cluster)
          && List.of("up", "non_operational").contains(status(r))) {
        try {
          c.post(
              "hosts/" + r.path("id").asText() + "/deactivate",
              RhevClient.JSON.createObjectNode(),
              d);
          out.add(r);
          progress.accept("deactivated remote host " + name(r));
          log.warn("deactivated remote host for SPM failover host={}", name(r));
        } catch (BackendException e) {
          progress.accept("could not deactivate remote host " + name(r) + ": " + e.getMessage());
        }
      }
    }
    return out;
  }

  /** RHEVMInfo.Cluster names this site's cluster; without it, the cluster of this host. */
  private static String localCluster(RhevClient c, GuestSpec guest, String thisHost, Deadline d)
      throws BackendException {
    Optional<String> named = guest.associationKey("RHEVMInfo", "Cluster");
    if (named.isPresent()) {
      return RhevHosts.clusterIdByName(c, named.get(), d)
          .orElseThrow(
              () ->
                  new BackendException(
                      Kind.MISCONFIGURED,
                      "RHEV-M has no cluster named '" + named.get() + "' (RHEVMInfo.Cluster)"));
    }
    return RhevHosts.clusterId(RhevHosts.require(c, thisHost, "this system", d));
  }

  private static void fence(RhevClient c, JsonNode h, Deadline d, Consumer<String> progress)
      throws BackendException {
    log.warn("confirming manual fence of the SPM host host={}", name(h));
    c.post(
        "hosts/" + h.path("id").asText() + "/fence",
        RhevClient.JSON.createObjectNode().put("fence_type", "manual"),
        d);
    progress.accept("confirmed the manual fence of non_responsive SPM host " + name(h));
  }

  private static Optional<JsonNode> spm(List<JsonNode> hosts) {
    return hosts.stream()
        .filter(h -> h.path("spm").path("status").asText().equals("spm"))
        .findFirst();
  }

  private static String name(JsonNode h) {
    return h.path("name").asText();
  }

  private static String status(JsonNode h) {
    return h.path("status").asText("");
  }

  private static void sleep(long millis) throws BackendException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(Kind.TIMED_OUT, "interrupted while waiting for the SPM");
    }
  }
}
