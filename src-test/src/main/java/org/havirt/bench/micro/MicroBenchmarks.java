package org.havirt.bench.micro;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH micro benchmarks of this package (one fork, 3 warm-up and 5 measured iterations of 1
 * s) and writes their table. Usage: MicroBenchmarks [REPORT_MD]
 */
public final class MicroBenchmarks {
  private MicroBenchmarks() {}

  public static void main(String[] args) throws Exception {
    Options opts =
        new OptionsBuilder()
            .include(MicroBenchmarks.class.getPackageName() + "\\..*Bench\\..*")
            .forks(1)
            .warmupIterations(3)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(5)
            .measurementTime(TimeValue.seconds(1))
            .jvmArgsAppend("-Xmx2g")
            .build();
    Collection<RunResult> results = new Runner(opts).run();
    StringBuilder md = new StringBuilder("## Micro benchmarks (JMH)\n\n");
    md.append(
        "In-process costs, average time per operation over 5 one-second iterations after 3"
            + " warm-up iterations, one fork. No peer has an in-process equivalent: VirtualDomain"
            + " maps states in shell, inside the monitor measured above.\n\n");
    md.append("| benchmark | score | ± error (99.9 %) | unit |\n|---|---|---|---|\n");
    for (RunResult r : results) {
      var p = r.getPrimaryResult();
      String name = r.getParams().getBenchmark();
      md.append(
          String.format(
              "| %s | %.3f | %.3f | %s |%n",
              name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1),
              p.getScore(),
              p.getScoreError(),
              p.getScoreUnit()));
    }
    md.append('\n');
    System.out.print(md);
    if (args.length > 0) {
      Files.writeString(
          Path.of(args[0]), md, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }
  }
}
