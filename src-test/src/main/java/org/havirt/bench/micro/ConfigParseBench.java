package org.havirt.bench.micro;

import java.util.concurrent.TimeUnit;
import org.havirt.bench.ConfigParseBenchmark;
import org.havirt.config.ConfigParser;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Parsing a generated 10 MB main.cf (about 24,000 KVMGuest resources). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ConfigParseBench {
  private String text;

  @Setup(Level.Trial)
  public void generate() {
    text = ConfigParseBenchmark.generate(10L * 1024 * 1024);
  }

  @Benchmark
  public ConfigParser.ParseResult parse10MB() {
    return ConfigParser.parse("bench.cf", text);
  }
}
