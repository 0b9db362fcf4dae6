package org.havirt.testing.rhevm;

import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

/**
 * Random, seeded fault injection for the simulator's API and login: each request independently
 * draws a latency in [0, {@link #maxLatencyMillis}] and at most one fault, with the probabilities
 * set here. The same seed and the same order of requests give the same faults; requests from
 * concurrent clients arrive in an order no seed controls, so a campaign reproduces its fault
 * <em>rates</em> and the harness's own fault schedule, not each request's fate. All zero (the
 * default) injects nothing. Thread-safe (draws synchronize on this object).
 */
public final class SimFaults {
  /** What happens to one request. */
  public enum Fault {
    /** Served as usual (after the drawn latency). */
    NONE,
    /** 503 with an engine-style fault body. */
    HTTP_5XX,
    /** 200 with a body a client must not believe; see {@link Garbage}. */
    GARBAGE,
    /** The connection closes mid-response: headers and part of the body, then nothing. */
    DROP,
    /** Every token issued so far is revoked before the request is checked (it then gets 401). */
    REVOKE
  }

  /** The kinds of garbage bodies, each answered with HTTP 200. */
  public enum Garbage {
    /** A proxy's HTML error page. */
    HTML,
    /** XML, as an engine that ignored {@code Accept: application/json} would send. */
    XML,
    /** The real answer cut short, with a Content-Length that matches the cut (HTTP is valid). */
    TRUNCATED,
    /** No body at all (Content-Length 0). */
    EMPTY,
    /** Valid JSON that is not an object ({@code []}, {@code null}, a string). */
    NOT_AN_OBJECT,
    /** An object whose collection is not a list ({@code {"vm": {}}}). */
    MISTYPED_COLLECTION
  }

  private final Random random;
  private final Map<Fault, Long> injected = new EnumMap<>(Fault.class);
  private long delayed;

  /** Upper bound of the latency added to each request, in milliseconds; 0: none. */
  public volatile long maxLatencyMillis;

  /** Probability (0..1) of each fault per request; their sum must stay at most 1. */
  public volatile double p5xx;

  public volatile double pGarbage;
  public volatile double pDrop;
  public volatile double pRevoke;

  public SimFaults(long seed) {
    this.random = new Random(seed);
  }

  /** One request's draw: its latency and its fault (garbage kind and cut point when garbage). */
  public record Draw(long latencyMillis, Fault fault, Garbage garbage, double cut) {
    /** No latency, no fault. */
    public static final Draw CLEAN = new Draw(0, Fault.NONE, Garbage.HTML, 0);
  }

  /** Draws the fate of the next request. */
  public synchronized Draw next() {
    long max = maxLatencyMillis;
    long latency = max > 0 ? (long) (random.nextDouble() * (max + 1)) : 0;
    double x = random.nextDouble();
    Fault f = Fault.NONE;
    double acc = p5xx;
    if (x < acc) {
      f = Fault.HTTP_5XX;
    } else if (x < (acc += pGarbage)) {
      f = Fault.GARBAGE;
    } else if (x < (acc += pDrop)) {
      f = Fault.DROP;
    } else if (x < acc + pRevoke) {
      f = Fault.REVOKE;
    }
    Garbage g = Garbage.values()[random.nextInt(Garbage.values().length)];
    double cut = random.nextDouble();
    if (f != Fault.NONE) {
      injected.merge(f, 1L, Long::sum);
    }
    if (latency > 0) {
      delayed++;
    }
    return new Draw(latency, f, g, cut);
  }

  /** Sets every probability and the latency bound to zero: the API heals. */
  public void heal() {
    maxLatencyMillis = 0;
    p5xx = 0;
    pGarbage = 0;
    pDrop = 0;
    pRevoke = 0;
  }

  /** Whether any fault or latency is armed. */
  public boolean armed() {
    return maxLatencyMillis > 0 || p5xx > 0 || pGarbage > 0 || pDrop > 0 || pRevoke > 0;
  }

  /** How many of each fault were injected so far, and how many requests were delayed. */
  public synchronized Map<String, Long> counts() {
    Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (Fault f : Fault.values()) {
      if (f != Fault.NONE) {
        m.put(f.name().toLowerCase(java.util.Locale.ROOT), injected.getOrDefault(f, 0L));
      }
    }
    m.put("latency", delayed);
    return m;
  }
}
