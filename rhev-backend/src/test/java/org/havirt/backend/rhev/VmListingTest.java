package org.havirt.backend.rhev;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.havirt.types.Deadline;
import org.junit.jupiter.api.Test;

class VmListingTest {
  static final Duration LONG = Duration.ofHours(1);
  static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode vms(String status) {
    return JSON.createObjectNode()
        .set(
            "vm",
            JSON.createArrayNode()
                .add(
                    JSON.createObjectNode()
                        .put("id", "id-erp")
                        .put("name", "erp")
                        .put("status", status)));
  }

  static String status(VmListing l) throws Exception {
    return l.vm("erp", LONG, Deadline.in(Duration.ofSeconds(10)))
        .orElseThrow()
        .path("status")
        .asText();
  }

  @Test
  void aYoungListingIsSharedAndAnInvalidationForcesAFreshOne() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    AtomicReference<String> rhevm = new AtomicReference<>("up");
    VmListing l =
        new VmListing(
            d -> {
              fetches.incrementAndGet();
              return vms(rhevm.get());
            });
    assertThat(status(l)).isEqualTo("up");
    rhevm.set("down");
    assertThat(status(l)).as("within the tolerance the listing is reused").isEqualTo("up");
    assertThat(fetches).hasValue(1);
    l.invalidate();
    assertThat(status(l)).isEqualTo("down");
    assertThat(fetches).hasValue(2);
    assertThat(l.nameOf("id-erp")).contains("erp");
  }

  /**
   * The lost update behind a flaky AgentRhevIT: an event arrives while a fetch is under way, the
   * fetch completes with what RHEV-M said before the event, and the monitor the event asked for
   * must not be served that older listing.
   */
  @Test
  void anInvalidationDuringAFetchIsNotUndoneByIt() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger fetches = new AtomicInteger();
    VmListing l =
        new VmListing(
            d -> {
              if (fetches.incrementAndGet() == 1) {
                inside.countDown();
                try {
                  release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return vms("powering_down"); // read before the VM went down
              }
              return vms("down");
            });
    CompletableFuture<String> early =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return status(l);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    l.invalidate(); // the "VM erp is down" event
    release.countDown();
    assertThat(early.get(10, TimeUnit.SECONDS)).isEqualTo("powering_down");
    assertThat(status(l)).isEqualTo("down");
    assertThat(fetches).hasValue(2);
  }

  /**
   * A garbage answer whose collection is not a list ({"vm": {}}) read as "no VMs", and the monitor
   * of a VM running here said OFFLINE (RhevFaultsIT, MISTYPED_COLLECTION): it must be an error.
   */
  @Test
  void aCollectionThatIsNotAListIsAnErrorNotAnEmptyListing() {
    VmListing l = new VmListing(d -> JSON.createObjectNode().set("vm", JSON.createObjectNode()));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> status(l))
        .isInstanceOfSatisfying(
            org.havirt.types.backend.BackendException.class,
            e ->
                assertThat(e.kind())
                    .isEqualTo(org.havirt.types.backend.BackendException.Kind.TRANSIENT))
        .hasMessageContaining("not a list");
  }
}
