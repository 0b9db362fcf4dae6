package org.havirt.agent.protocol;

import java.time.Duration;

/**
 * What the engine socket takes on before it says no, so no client can exhaust the daemon's threads,
 * descriptors or memory (docs/protocol.md, "Limits"). Immutable.
 *
 * @param maxConnections allowed peers served at once; one more gets a {@code busy} line and is
 *     closed
 * @param maxQueuedBytes bytes accepted for one client and not yet written to its socket; a client
 *     that falls further behind is dropped with {@code too_slow}. One line is always taken when
 *     nothing is owed, however long it is (a status of many resources is one line).
 * @param dropGrace how long a dropped client has to read what it was owed and the reason, before
 *     the connection is closed even if it never reads
 */
public record SocketLimits(int maxConnections, long maxQueuedBytes, Duration dropGrace) {
  /** Connections served at once unless {@code --max-connections} says otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 64;

  /** Bytes owed to one client before it counts as not keeping up: 1 MiB. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 1024 * 1024;

  /** The limits of a daemon started without options. */
  public static final SocketLimits DEFAULTS =
      new SocketLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_QUEUED_BYTES, Duration.ofSeconds(5));

  public SocketLimits {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
    }
    if (maxQueuedBytes < 1) {
      throw new IllegalArgumentException("maxQueuedBytes must be at least 1: " + maxQueuedBytes);
    }
    if (dropGrace.isNegative()) {
      throw new IllegalArgumentException("dropGrace must not be negative: " + dropGrace);
    }
  }

  /** These limits with another connection cap. */
  public SocketLimits withMaxConnections(int n) {
    return new SocketLimits(n, maxQueuedBytes, dropGrace);
  }
}
