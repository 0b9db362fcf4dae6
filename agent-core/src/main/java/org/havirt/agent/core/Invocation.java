package org.havirt.agent.core;

import java.util.List;
import java.util.Optional;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;

/**
 * One entry point to run: which, and its arguments.
 *
 * @param cleanReason for clean
 * @param target for migrate: the target system
 * @param action for action: its name; {@code args} its arguments
 */
public record Invocation(
    EntryPoint entryPoint,
    Optional<CleanReason> cleanReason,
    Optional<String> target,
    Optional<String> action,
    List<String> args) {

  public static Invocation of(EntryPoint ep) {
    return new Invocation(ep, Optional.empty(), Optional.empty(), Optional.empty(), List.of());
  }

  public static Invocation clean(CleanReason why) {
    return new Invocation(
        EntryPoint.CLEAN, Optional.of(why), Optional.empty(), Optional.empty(), List.of());
  }

  public static Invocation migrate(String target) {
    return new Invocation(
        EntryPoint.MIGRATE, Optional.empty(), Optional.of(target), Optional.empty(), List.of());
  }

  public static Invocation action(String name, List<String> args) {
    return new Invocation(
        EntryPoint.ACTION,
        Optional.empty(),
        Optional.empty(),
        Optional.of(name),
        List.copyOf(args));
  }
}
