package org.havirt.types.backend;

import java.util.Objects;

/**
 * The result of a resource action (guestmigrated, vmconfigsync, DevScan).
 *
 * @param success whether the action achieved its purpose
 * @param output text for the caller; VCS limits it to 2048 bytes, the agent truncates it
 */
public record ActionOutput(boolean success, String output) {
  public ActionOutput {
    Objects.requireNonNull(output, "output");
  }
}
