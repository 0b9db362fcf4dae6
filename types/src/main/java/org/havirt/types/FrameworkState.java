package org.havirt.types;

/**
 * States that only the agent framework declares, on top of what monitors report.
 *
 * <p>A backend never returns these; the per-resource state machine reaches them by counting
 * failures against the type's limits (spec §5).
 */
public enum FrameworkState {
  /**
   * The resource failed and was not (or could no longer be) restarted here: the engine fails over.
   */
  FAULTED,
  /**
   * Clean failed more than CleanRetryLimit times: an administrator must look before anything else
   * runs.
   */
  ADMIN_WAIT
}
