package org.havirt.types.backend;

import java.time.Duration;
import java.util.function.Consumer;
import org.havirt.types.Deadline;

/**
 * An optional backend capability: make this site able to run its VMs after a disaster-recovery
 * switch, before the engine brings them online (the preonline trigger of spec §7). Backends that
 * have nothing to prepare do not implement it. Implementations are thread-safe.
 */
public interface SiteFailover {
  /**
   * Takes over the site services {@code guest}'s VMs need here (for RHEV: the datacenter's storage
   * pool manager), waiting up to {@code wait} for them to move. Never starts, stops or moves a VM.
   *
   * @param progress receives one line per step taken, for the administrator
   * @return a one-line summary of the outcome
   * @throws BackendException when the site could not be made ready; the VMs must not be started
   */
  String takeOverSite(GuestSpec guest, Duration wait, Deadline deadline, Consumer<String> progress)
      throws BackendException;
}
