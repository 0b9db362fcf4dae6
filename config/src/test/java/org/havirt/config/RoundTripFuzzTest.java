package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.havirt.config.ast.ConfigFile;
import org.havirt.types.ShippedTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Property tests with fixed seeds (reproducible): generated configurations survive print → parse
 * unchanged, and random, mutated or truncated input never makes the parser throw, hang or report a
 * problem without a position.
 */
class RoundTripFuzzTest {
  private static final String[] WORDS = {
    "group",
    "requires",
    "KVMGuest",
    "type",
    "static",
    "int",
    "str",
    "keylist",
    "include",
    "system",
    "cluster",
    "online",
    "local",
    "firm",
    "GuestName",
    "a@b",
    "x",
    "0",
    "-12",
    "https://h:443/x",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "=",
    ",",
    ";",
    "\"q\"",
    "\"unterminated",
    "//c\n",
    "/*b*/",
    "\n",
    "@s",
    "\u0001",
    "é",
  };

  @Test
  void generatedConfigurationsRoundTrip() {
    Random rnd = new Random(20261122);
    for (int i = 0; i < 500; i++) {
      String text = ConfigGen.generate(rnd);
      ConfigParser.ParseResult first = ConfigParser.parse("gen.cf", text);
      assertThat(first.diagnostics()).as("generated input #%d:\n%s", i, text).isEmpty();
      String printed = ConfigPrinter.print(first.file());
      ConfigParser.ParseResult second = ConfigParser.parse("gen.cf", printed);
      assertThat(second.diagnostics()).as("printed #%d:\n%s", i, printed).isEmpty();
      assertThat(second.file()).as("model #%d:\n%s", i, printed).isEqualTo(first.file());
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void randomTokenSoupNeverThrowsAndAlwaysHasPositions() {
    Random rnd = new Random(7);
    for (int i = 0; i < 3000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = rnd.nextInt(60);
      for (int j = 0; j < n; j++) {
        sb.append(WORDS[rnd.nextInt(WORDS.length)]).append(rnd.nextInt(4) == 0 ? "\n" : " ");
      }
      assertParsesSafely(sb.toString());
    }
  }

  private static final String PUNCT = " \n(){}[]=,;\"/*@ab1";

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void randomBytesNeverThrow() {
    Random rnd = new Random(11);
    for (int i = 0; i < 2000; i++) {
      char[] cs = new char[rnd.nextInt(200)];
      for (int j = 0; j < cs.length; j++) {
        cs[j] =
            (char)
                (rnd.nextInt(8) == 0
                    ? rnd.nextInt(0x3000)
                    : PUNCT.charAt(rnd.nextInt(PUNCT.length())));
      }
      assertParsesSafely(new String(cs));
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void everyPrefixOfARealConfigParsesSafely() {
    String text = ShippedTypes.kvmGuestTypesCf() + "\n" + ConfigGen.generate(new Random(3));
    for (int cut = 0; cut <= text.length(); cut++) {
      assertParsesSafely(text.substring(0, cut));
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void mutatedConfigurationsParseSafely() {
    Random rnd = new Random(5);
    for (int i = 0; i < 1000; i++) {
      StringBuilder sb = new StringBuilder(ConfigGen.generate(rnd));
      for (int m = 0; m < 1 + rnd.nextInt(5) && sb.length() > 0; m++) {
        int at = rnd.nextInt(sb.length());
        switch (rnd.nextInt(3)) {
          case 0 -> sb.deleteCharAt(at);
          case 1 -> sb.insert(at, WORDS[rnd.nextInt(WORDS.length)]);
          default -> sb.setCharAt(at, "(){}=\"\n,".charAt(rnd.nextInt(8)));
        }
      }
      String text = sb.toString();
      ConfigFile f = assertParsesSafely(text);
      // Whatever was read must also print and parse back without throwing.
      assertParsesSafely(ConfigPrinter.print(f));
    }
  }

  private static ConfigFile assertParsesSafely(String text) {
    ConfigParser.ParseResult r = ConfigParser.parse("fuzz.cf", text);
    int lines = text.split("\n", -1).length;
    for (Diagnostic d : r.diagnostics()) {
      assertThat(d.position().line()).as("line of %s in:\n%s", d, text).isBetween(1, lines);
      assertThat(d.position().column()).as("column of %s", d).isPositive();
      assertThat(d.message()).isNotBlank();
    }
    // The validator must cope with whatever the parser recovered.
    List<Diagnostic> v = Validator.validate(List.of(r.file()));
    v.forEach(d -> assertThat(d.message()).isNotBlank());
    return r.file();
  }

  /** Generates syntactically valid main.cf text covering every construct. */
  static final class ConfigGen {
    static String generate(Random rnd) {
      StringBuilder sb = new StringBuilder();
      if (rnd.nextBoolean()) {
        sb.append("include \"types.cf\"\n");
      }
      if (rnd.nextBoolean()) {
        sb.append(comment(rnd)).append("cluster c (\n    UserNames = { admin = abc }\n)\n");
      }
      List<String> resources = new ArrayList<>();
      int groups = rnd.nextInt(4);
      for (int g = 0; g < groups; g++) {
        sb.append(comment(rnd)).append("group g").append(g).append(" (\n");
        attrs(sb, rnd);
        sb.append(")\n");
        int n = rnd.nextInt(4);
        List<String> local = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          String name = "r" + g + "_" + r;
          local.add(name);
          sb.append(comment(rnd)).append("KVMGuest ").append(name).append(" (\n");
          attrs(sb, rnd);
          sb.append(")\n");
        }
        for (int d = 1; d < local.size(); d++) {
          sb.append(local.get(d - 1))
              .append(" requires ")
              .append(local.get(d))
              .append(rnd.nextBoolean() ? " // dep\n" : "\n");
        }
        if (g > 0 && rnd.nextBoolean()) {
          sb.append(rnd.nextBoolean() ? "" : "g" + g + " ")
              .append("requires group g0 online ")
              .append(new String[] {"local", "global", "remote"}[rnd.nextInt(3)])
              .append(' ')
              .append(new String[] {"soft", "firm", "hard"}[rnd.nextInt(3)])
              .append('\n');
        }
        resources.addAll(local);
      }
      if (rnd.nextBoolean()) {
        sb.append("type T")
            .append(rnd.nextInt(9))
            .append(" (\n    static int A = 1\n    str B{} = { K = v }\n")
            .append(
                "    static keylist L = { \"a\", b }\n    temp str V[]\n    boolean F = 0\n)\n");
      }
      if (rnd.nextBoolean()) {
        sb.append("// trailing\n");
      }
      return sb.toString();
    }

    private static String comment(Random rnd) {
      return switch (rnd.nextInt(4)) {
        case 0 -> "// note " + rnd.nextInt(100) + "\n";
        case 1 -> "/* block\n   comment */\n";
        default -> "";
      };
    }

    private static void attrs(StringBuilder sb, Random rnd) {
      int n = rnd.nextInt(5);
      for (int i = 0; i < n; i++) {
        sb.append("    A").append(i);
        if (rnd.nextInt(4) == 0) {
          sb.append("@sys").append(rnd.nextInt(3));
        }
        sb.append(" = ").append(value(rnd)).append(rnd.nextInt(5) == 0 ? " // why\n" : "\n");
      }
    }

    private static String value(Random rnd) {
      return switch (rnd.nextInt(6)) {
        case 0 -> Integer.toString(rnd.nextInt(2000) - 1000);
        case 1 -> "\"text with \\\"quotes\\\" and \\\\ " + rnd.nextInt(9) + "\"";
        case 2 -> "{ a" + rnd.nextInt(9) + ", \"b c\"; d }";
        case 3 -> "{ K1 = v1 K2 = \"v 2\", K3 = 3 }";
        case 4 -> "[ 1, 2 ]";
        default -> "word_" + rnd.nextInt(99) + "-x.y@z";
      };
    }
  }
}
