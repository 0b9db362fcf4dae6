package org.havirt.types;

/**
 * Whether an entry point ran, kept apart from the state the resource ended up in (Pacemaker's
 * execution status versus result).
 */
public enum ExecStatus {
  /** It ran to completion; the resulting state is reported separately. */
  DONE,
  /** It ran and failed; the reason says why. */
  FAILED,
  /** It did not finish within its timeout. */
  TIMED_OUT,
  /** This backend or resource does not implement it. */
  UNSUPPORTED
}
