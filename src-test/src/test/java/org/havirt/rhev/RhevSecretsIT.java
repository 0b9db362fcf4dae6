package org.havirt.rhev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.havirt.backend.rhev.RhevBackend;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.Deadline;
import org.havirt.types.PasswordCipher;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.VmBackendFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The RHEV-M password goes only where it was encrypted for: a value copied to a resource naming
 * another RHEV-M, a redirect from the token endpoint, a wrong password retried in a loop, and a
 * resource that is gone, each against two simulators over real HTTPS (both trusted: the second one
 * plays an attacker whose certificate the victim's CAFile accepts).
 */
class RhevSecretsIT {
  static final String USER = "admin@internal";
  static final String PASSWORD = "s3cret!";
  @TempDir Path dir;
  RhevmSimulator sim;
  RhevmSimulator attacker;
  RhevBackend backend;
  PasswordCipher cipher;

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir.resolve("rhevm"), 0, USER, PASSWORD);
    attacker = new RhevmSimulator(dir.resolve("attacker"), 0, USER, PASSWORD);
    for (RhevmSimulator s : List.of(sim, attacker)) {
      s.model.addCluster("prod");
      s.model.addHost("h1", "prod");
      s.model.addVm("vm1", "prod");
    }
    cipher = PasswordCipher.openOrCreate(dir.resolve("havirt.key"));
    backend = backend(Map.of());
  }

  RhevBackend backend(Map<String, String> extra) {
    Map<String, String> s = new HashMap<>(extra);
    s.put("rhev.host", "h1");
    s.put("key.file", dir.resolve("havirt.key").toString());
    s.putIfAbsent("rhev.events.poll.ms", "100");
    return new RhevBackend(new VmBackendFactory.Settings(s));
  }

  @AfterEach
  void tearDown() {
    backend.close();
    sim.close();
    attacker.close();
  }

  static GuestSpec spec(RhevmSimulator to, String password, String monitorInterval) {
    Map<String, String> info = to.rhevmInfo(password, "prod");
    return new GuestSpec(
        "res_vm1",
        Map.of(
            "GuestName",
            new AttributeValue.Scalar("vm1"),
            "RHEVMInfo",
            new AttributeValue.Association(info),
            "MonitorInterval",
            new AttributeValue.Scalar(monitorInterval),
            "OfflineMonitorInterval",
            new AttributeValue.Scalar(monitorInterval)));
  }

  static Deadline soon() {
    return Deadline.in(Duration.ofSeconds(10));
  }

  @Test
  void aValueCopiedToAResourceNamingAnotherRhevmIsRefusedBeforeAnyRequest() throws Exception {
    String mine = cipher.encryptFor(PASSWORD, sim.url(), USER);
    assertThat(backend.inspect(spec(sim, mine, "60"), soon()).native_()).isEqualTo("down");
    // The copy: the attacker's URL and CAFile (rhevmInfo puts both), the victim's value.
    GuestSpec copy = spec(attacker, mine, "60");
    assertThatThrownBy(() -> backend.inspect(copy, soon()))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.MISCONFIGURED))
        .hasMessageContaining(PasswordCipher.OTHER_BINDING);
    assertThat(backend.verify(copy, soon()))
        .extracting(Check::name, Check::passed)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("key-file", true),
            org.assertj.core.groups.Tuple.tuple("rhevminfo", false));
    Map<String, String> otherUser = sim.rhevmInfo(mine, "prod");
    otherUser.put("User", "other@internal");
    GuestSpec asOther =
        new GuestSpec(
            "res_vm1",
            Map.of(
                "GuestName",
                new AttributeValue.Scalar("vm1"),
                "RHEVMInfo",
                new AttributeValue.Association(otherUser)));
    assertThatThrownBy(() -> backend.inspect(asOther, soon()))
        .hasMessageContaining(PasswordCipher.OTHER_BINDING);
    assertThat(attacker.logins.get()).as("logins at the other RHEV-M").isZero();
    assertThat(attacker.requests.get()).as("API requests to the other RHEV-M").isZero();
  }

  @Test
  void anUnboundHve1ValueStillWorksAndVerifyAsksToReEncryptIt() throws Exception {
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    var logger =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger("org.havirt.backend.rhev.RhevClients");
    logger.addAppender(logs);
    GuestSpec g = spec(sim, cipher.encrypt(PASSWORD), "60");
    try {
      for (int i = 0; i < 3; i++) {
        assertThat(backend.inspect(g, soon()).native_()).isEqualTo("down");
      }
    } finally {
      logger.detachAppender(logs);
    }
    assertThat(logs.list)
        .extracting(e -> e.getLevel() + " " + e.getFormattedMessage())
        .as("one warning for the resource, however often it is used")
        .containsExactly(
            "WARN res_vm1: RHEVMInfo.Password is an HVE1 value, which any resource could send to"
                + " any RHEV-M; run havirt encrypt --url '"
                + PasswordCipher.canonicalUrl(sim.url())
                + "' --user '"
                + USER
                + "' --key-file '"
                + dir.resolve("havirt.key")
                + "' and put its output in RHEVMInfo.Password");
    assertThat(backend.verify(g, soon()))
        .as("the agent's validation keeps an upgraded resource running")
        .allSatisfy(c -> assertThat(c.passed()).as(c.line()).isTrue())
        .filteredOn(c -> c.name().equals("password-binding"))
        .allSatisfy(c -> assertThat(c.detail()).contains("HVE1", "havirt encrypt --url"));
    backend.close();
    backend = backend(Map.of("rhev.unbound.password", "fail")); // as havirtverify runs it
    Check binding =
        backend.verify(g, soon()).stream()
            .filter(c -> c.name().equals("password-binding"))
            .findFirst()
            .orElseThrow();
    assertThat(binding.passed()).isFalse();
    assertThat(binding.fix())
        .contains("havirt encrypt --url '" + sim.url() + "' --user '" + USER + "'");
    GuestSpec bound = spec(sim, cipher.encryptFor(PASSWORD, sim.url(), USER), "60");
    assertThat(backend.verify(bound, soon()))
        .filteredOn(c -> c.name().equals("password-binding"))
        .extracting(Check::passed)
        .containsExactly(true);
  }

  @Test
  void aRedirectFromTheTokenEndpointIsAnErrorAndThePasswordNeverReachesItsTarget()
      throws Exception {
    String target = attacker.url() + "/ovirt-engine/sso/oauth/token";
    sim.redirectTokenTo = target;
    GuestSpec g = spec(sim, cipher.encryptFor(PASSWORD, sim.url(), USER), "60");
    assertThatThrownBy(() -> backend.inspect(g, soon()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("redirect")
        .hasMessageContaining(target)
        .hasMessageNotContaining(PASSWORD);
    // The monitor's and the events poller's logins: each redirected, none followed.
    assertThat(sim.logins.get()).as("logins that were redirected").isPositive();
    assertThat(attacker.logins.get()).as("logins at the redirect's target").isZero();
    assertThat(attacker.requests.get()).isZero();
  }

  @Test
  void aRedirectFromTheApiIsAnErrorNamingItsLocation() throws Exception {
    sim.redirectApiTo = attacker.url();
    GuestSpec g = spec(sim, cipher.encryptFor(PASSWORD, sim.url(), USER), "60");
    assertThatThrownBy(() -> backend.inspect(g, soon()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("redirect (HTTP 302) to " + attacker.url() + "/ovirt-engine/api/");
    assertThat(attacker.requests.get()).as("requests at the redirect's target").isZero();
  }

  @Test
  void aWrongPasswordMakesAtMostOneFailedLoginPerMonitorInterval() throws Exception {
    GuestSpec g = spec(sim, cipher.encryptFor("wrong", sim.url(), USER), "2");
    long start = System.nanoTime();
    long until = start + Duration.ofMillis(4500).toNanos();
    int monitors = 0;
    while (System.nanoTime() < until) {
      // Monitors far more often than the interval (as probes and manual checks may), while the
      // events poller asks every 100 ms.
      assertThatThrownBy(() -> backend.inspect(g, soon()))
          .isInstanceOfSatisfying(
              BackendException.class,
              e -> assertThat(e.kind()).isEqualTo(BackendException.Kind.PERMISSION));
      monitors++;
      Thread.sleep(100); // pacing the monitors, not waiting for a result
    }
    double intervals = (System.nanoTime() - start) / 2e9;
    assertThat(monitors).isGreaterThan(20);
    assertThat(sim.failedLogins.get())
        .as("failed logins in %.1f MonitorIntervals", intervals)
        .isBetween(1L, (long) Math.ceil(intervals));
  }

  @Test
  void aResourceThatIsGoneOrModifiedNoLongerCausesRequests() throws Exception {
    backend.close();
    backend = backend(Map.of("rhev.idle.close.ms", "1500"));
    GuestSpec g = spec(sim, cipher.encryptFor(PASSWORD, sim.url(), USER), "1");
    assertThat(backend.inspect(g, soon()).native_()).isEqualTo("down");
    // Modified: the resource now names the other RHEV-M (its own value, bound to it).
    GuestSpec moved = spec(attacker, cipher.encryptFor(PASSWORD, attacker.url(), USER), "1");
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    long quietSince = System.nanoTime();
    long seen = sim.requests.get();
    while (System.nanoTime() - quietSince < Duration.ofSeconds(2).toNanos()) {
      assertThat(System.nanoTime()).as("the first RHEV-M is still asked").isLessThan(deadline);
      assertThat(backend.inspect(moved, soon()).native_()).isEqualTo("down");
      Thread.sleep(200); // the monitor interval of the moved resource, roughly
      long now = sim.requests.get();
      if (now != seen) {
        seen = now;
        quietSince = System.nanoTime();
      }
    }
    // Gone: nothing asks for it any more; its poller must stop too.
    long seenOther = attacker.requests.get();
    long deadline2 = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < Duration.ofSeconds(2).toNanos()) {
      assertThat(System.nanoTime()).as("the second RHEV-M is still asked").isLessThan(deadline2);
      Thread.sleep(200); // watching the request counter, nothing to poll for
      long now = attacker.requests.get();
      if (now != seenOther) {
        seenOther = now;
        quietSince = System.nanoTime();
      }
    }
    assertThat(backend.inspect(moved, soon()).native_())
        .as("a resource that comes back is served again")
        .isEqualTo("down");
  }
}
