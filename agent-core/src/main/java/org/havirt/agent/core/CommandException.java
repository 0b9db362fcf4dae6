package org.havirt.agent.core;

/** A command the agent refuses before running anything; the code is the protocol's error code. */
public final class CommandException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String code;

  public CommandException(String code, String message) {
    super(message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
