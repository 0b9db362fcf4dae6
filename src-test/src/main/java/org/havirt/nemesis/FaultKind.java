package org.havirt.nemesis;

import java.util.Optional;
import java.util.Random;

/**
 * One kind of fault a backend can inject (e.g. {@code qemu-kill}, {@code libvirtd-freeze}).
 *
 * <p>Contract: {@link #inject} runs on the scheduler's thread only. It picks its target with {@code
 * rng} (and only with it, so a seed names the same choices) among what the world's truth offers
 * now, injects at once, and returns what it did, with how to heal it; or empty when nothing fits
 * now (e.g. no guest runs). It must not inject what no HA agent could survive by design (for
 * example starting a guest by hand where another copy runs): those would be the harness's
 * violations, not the agent's.
 */
public interface FaultKind {
  /** The kind's name, as the report counts it. */
  String name();

  /** Injects one fault now, or returns empty if none fits. */
  Optional<Injection> inject(World world, Random rng) throws Exception;
}
