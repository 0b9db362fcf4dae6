package org.havirt.types.state;

/**
 * Per-resource choices the state table consults.
 *
 * @param failoverOnIoError true (default): a VM paused on an I/O error is OFFLINE so the engine
 *     fails it over; false: VCS's behaviour, ONLINE with confidence 20 (spec §6)
 */
public record StatePolicy(boolean failoverOnIoError) {
  /** The defaults of the shipped KVMGuest type. */
  public static final StatePolicy DEFAULT = new StatePolicy(true);
}
