package org.havirt.types.backend;

/**
 * Receives hints that a VM may have changed. Events only speed detection up: the agent answers each
 * by monitoring the VM, never by trusting the event's payload (kubelet PLEG).
 *
 * <p>Called on a backend thread; implementations must return quickly and never block.
 */
@FunctionalInterface
public interface VmEventListener {
  /**
   * Reports that {@code guestName} may have changed, or, with a null name, that anything may have
   * changed (connection lost or re-established): monitor everything.
   *
   * @param detail the backend's words for what happened, for logs
   */
  void onVmEvent(String guestName, String detail);
}
