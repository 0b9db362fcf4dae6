package org.havirt.config;

/** How bad a diagnostic is: errors make a configuration unusable, warnings do not. */
public enum Severity {
  ERROR,
  WARNING;

  /** Returns the word printed in diagnostics, {@code error} or {@code warning}. */
  public String word() {
    return this == ERROR ? "error" : "warning";
  }
}
