package org.havirt.agent.core;

/** The timers of one resource: at most one of each kind is armed at a time. */
enum TimerKind {
  /** The next monitor: the periodic interval, or the wait after online. */
  MONITOR,
  /** The framework's own timeout of the running entry point, armed when it starts. */
  ENTRY_TIMEOUT,
  /** The retry of a failed clean (VCS retries after the next monitor interval). */
  CLEAN_RETRY
}
