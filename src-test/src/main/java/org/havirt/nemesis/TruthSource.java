package org.havirt.nemesis;

import java.util.List;

/**
 * Reads the truth of some places directly (a hypervisor, a simulator), never from the agent.
 *
 * <p>Contract: {@link #sample} is called by the observer's sampling thread only, about every 20 ms.
 * It must return within about 100 ms whatever the state of what it reads: a source that cannot tell
 * now (a frozen or dead daemon) reports {@link Copy#UNKNOWN} for its places instead of waiting. It
 * returns a fact for every place it owns, every time. Implementations need not be thread-safe
 * beyond that single caller, except {@link #close}, which may come from another thread.
 */
public interface TruthSource extends AutoCloseable {
  /** A short name for the event log, e.g. {@code virsh t1}. */
  String name();

  /** The current truth of every place this source owns. */
  List<Fact> sample();

  @Override
  void close();
}
