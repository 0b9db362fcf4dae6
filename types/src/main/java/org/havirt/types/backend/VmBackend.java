package org.havirt.types.backend;

import java.util.List;
import org.havirt.types.Deadline;
import org.havirt.types.state.VmStatus;

/**
 * A hypervisor or virtualization manager that runs VMs for the agent: KVM through libvirt, RHEV
 * through its REST API.
 *
 * <p>Implementations must be safe for concurrent use. The agent never runs two operations on the
 * same resource at once, but operations on different resources overlap, and one hung VM must never
 * delay another. Every method returns or throws by its {@link Deadline}; a call still pending then
 * fails with {@link BackendException.Kind#TIMED_OUT}.
 *
 * <p>Operations are named by how hard they act: {@link #shutdown} asks the guest, {@link #destroy}
 * pulls the plug. Mutating operations are idempotent and return once the request is accepted; the
 * agent judges the outcome by {@link #inspect}. No operation may start a VM that runs on another
 * host.
 */
public interface VmBackend extends AutoCloseable {

  /** Returns a short name for logs and reasons, e.g. {@code libvirt} or {@code rhev}. */
  String name();

  /**
   * Returns what the VM is doing now. Never mutates anything. A VM the backend does not know is
   * {@link org.havirt.types.state.VmState#NOT_DEFINED}, not an exception; an unreachable backend is
   * an exception of a retryable kind, never a state that looks like OFFLINE.
   */
  VmStatus inspect(GuestSpec guest, Deadline deadline) throws BackendException;

  /** Starts the VM here (defining it first where the backend needs that). Succeeds if running. */
  void start(GuestSpec guest, Deadline deadline) throws BackendException;

  /** Asks the guest to shut down gracefully. Succeeds if it is already off or not defined. */
  void shutdown(GuestSpec guest, Deadline deadline) throws BackendException;

  /** Forcibly stops the VM. Succeeds if it is already off or not defined. */
  void destroy(GuestSpec guest, Deadline deadline) throws BackendException;

  /** Live-migrates the VM to {@code target}, aborting the migration at the deadline. */
  void migrate(GuestSpec guest, MigrationTarget target, Deadline deadline) throws BackendException;

  /** Runs a resource action such as {@code vmconfigsync}; unknown actions are UNSUPPORTED. */
  ActionOutput action(GuestSpec guest, String action, List<String> args, Deadline deadline)
      throws BackendException;

  /**
   * Returns why the control connection that serves {@code guest} (KVM: the libvirtd connection;
   * RHEV: its RHEV-M) was down or not answering at any time during the last {@code window}, or
   * empty when it answered throughout. The agent asks this when a monitor timed out: a timeout the
   * control connection explains is UNKNOWN and never counts toward FaultOnMonitorTimeouts (spec
   * §6), because a hung libvirtd or RHEV-M says nothing about the VM. May wait until {@code
   * deadline} for a fresh liveness answer before it says "healthy"; when it cannot tell by then it
   * reports trouble, never health. Never mutates anything. Thread-safe.
   */
  default java.util.Optional<String> controlTrouble(
      GuestSpec guest, java.time.Duration window, Deadline deadline) {
    return java.util.Optional.empty();
  }

  /**
   * Registers {@code listener} for change hints about any VM of this backend. Returns a handle that
   * stops delivery when closed. Backends without events return a handle that does nothing.
   */
  AutoCloseable subscribe(VmEventListener listener);

  /**
   * Checks that this node can run {@code guest} through this backend (havirtverify, spec §8): every
   * check it can make, passed or failed, in a stable order; a check that depends on a failed one is
   * left out. Reads only: never starts, stops, defines or changes anything. Bounded by {@code
   * deadline}; a check the deadline cut short is a failure saying so.
   */
  java.util.List<Check> verify(GuestSpec guest, Deadline deadline);

  /** Releases connections and threads. Never stops or changes a VM. */
  @Override
  void close();
}
