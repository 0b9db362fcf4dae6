package org.havirt.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.havirt.config.ast.ConfigFile;

/** Loads a main.cf with its includes and validates it: what {@code havirt config check} runs. */
public final class ConfigCheck {
  private ConfigCheck() {}

  /**
   * The outcome of a check.
   *
   * @param files every file of the configuration read, the main file first (not the extra types)
   * @param diagnostics syntax and validation problems together, in file order
   */
  public record Result(List<ConfigFile> files, List<Diagnostic> diagnostics) {
    public Result {
      files = List.copyOf(files);
      diagnostics = List.copyOf(diagnostics);
    }

    public boolean hasErrors() {
      return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
  }

  /**
   * Checks {@code main}. {@code extraTypes} are types.cf files consulted for types the
   * configuration does not define itself (its own definitions win).
   */
  public static Result check(Path main, List<Path> extraTypes) {
    List<ConfigFile> files = new ArrayList<>();
    List<Diagnostic> diags = new ArrayList<>();
    ConfigLoader.Loaded loaded = ConfigLoader.load(main);
    files.addAll(loaded.files());
    diags.addAll(loaded.diagnostics());
    List<ConfigFile> fallbacks = new ArrayList<>();
    for (Path extra : extraTypes) {
      ConfigLoader.Loaded t = ConfigLoader.load(extra);
      fallbacks.addAll(t.files());
      diags.addAll(t.diagnostics());
    }
    diags.addAll(Validator.validate(files, fallbacks));
    diags.sort(Diagnostic.BY_POSITION);
    return new Result(files, diags);
  }
}
