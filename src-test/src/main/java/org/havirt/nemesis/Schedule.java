package org.havirt.nemesis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One schedule's plan, a pure function of the seed and the schedule's number: when each step comes,
 * whether it is a fault (of which kind) or an engine operation, and the seed of the rng the step
 * draws its target with. The same seed gives the same plan; what each step hits depends also on
 * what the truth offers then.
 */
public record Schedule(int index, List<Step> steps, Duration length) {
  /** The engine operations a schedule draws from. */
  public static final List<String> OPS =
      List.of(
          "goal-online",
          "goal-online",
          "goal-offline",
          "migrate",
          "monitor",
          "clean-stopped",
          "delete-add",
          "disable-enable",
          "resubscribe");

  /** A step: at {@code atMs} from the start, {@code fault} or {@code op} named {@code what}. */
  public record Step(long atMs, boolean fault, String what, long seed) {
    @Override
    public String toString() {
      return String.format("+%5.1fs %s %s", atMs / 1000.0, fault ? "fault" : "op", what);
    }
  }

  /** Mean time between two steps. */
  static final long MEAN_GAP_MS = 1500;

  /** Plans schedule {@code index} of the campaign of {@code seed}. */
  public static Schedule plan(long seed, int index, Duration length, List<String> faultKinds) {
    Random rng = new Random(seed * 1_000_003L + index);
    List<Step> steps = new ArrayList<>();
    long t = 0;
    while (true) {
      t += (long) (-Math.log(1 - rng.nextDouble()) * MEAN_GAP_MS);
      if (t >= length.toMillis()) {
        break;
      }
      boolean fault = rng.nextDouble() < 0.5;
      String what =
          fault ? faultKinds.get(rng.nextInt(faultKinds.size())) : OPS.get(rng.nextInt(OPS.size()));
      steps.add(new Step(t, fault, what, rng.nextLong()));
    }
    return new Schedule(index, steps, length);
  }
}
