package org.havirt.agent.protocol;

import java.util.Optional;

/** Checks a migration before anything runs: the target is a peer, and on the same site. */
@FunctionalInterface
public interface MigrationPolicy {
  /** Returns why {@code resource} may not migrate to {@code target}, or empty when it may. */
  Optional<String> refuse(String resource, String target);
}
