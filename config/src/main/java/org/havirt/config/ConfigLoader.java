package org.havirt.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.havirt.config.ast.ConfigFile;
import org.havirt.config.ast.Include;
import org.havirt.config.ast.Statement;

/**
 * Reads a main.cf and every file it includes (paths relative to the including file), parsing each
 * once. Never throws on bad input: unreadable or missing files are diagnostics at the include.
 */
public final class ConfigLoader {
  /** Larger files are refused: no sane main.cf comes near this. */
  public static final long MAX_FILE_BYTES = 256L * 1024 * 1024;

  private ConfigLoader() {}

  /**
   * Everything read, in load order: the main file first, then includes depth-first.
   *
   * @param files every file successfully read
   * @param diagnostics every problem found while reading and parsing, in file order
   */
  public record Loaded(List<ConfigFile> files, List<Diagnostic> diagnostics) {
    public Loaded {
      files = List.copyOf(files);
      diagnostics = List.copyOf(diagnostics);
    }

    public boolean hasErrors() {
      return diagnostics.stream().anyMatch(Diagnostic::isError);
    }
  }

  /** Loads {@code main} and its includes. */
  public static Loaded load(Path main) {
    List<ConfigFile> files = new ArrayList<>();
    List<Diagnostic> diags = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    read(main, null, files, diags, seen, new ArrayList<>());
    diags.sort(Diagnostic.BY_POSITION);
    return new Loaded(files, diags);
  }

  private static void read(
      Path path,
      Include via,
      List<ConfigFile> files,
      List<Diagnostic> diags,
      Set<Path> seen,
      List<Path> stack) {
    Path real = path.toAbsolutePath().normalize();
    Position at = via == null ? new Position(path.toString(), 0, 0) : via.position();
    if (stack.contains(real)) {
      diags.add(
          Diagnostic.error(at, "include loop: " + path + " includes itself through " + stack));
      return;
    }
    if (!seen.add(real)) {
      return; // included twice (e.g. types.cf from two files): once is enough
    }
    String text;
    try {
      if (Files.isDirectory(path)) {
        diags.add(Diagnostic.error(at, "cannot read " + path + ": it is a directory"));
        return;
      }
      if (Files.size(path) > MAX_FILE_BYTES) {
        diags.add(
            Diagnostic.error(
                at, "cannot read " + path + ": larger than " + MAX_FILE_BYTES + " bytes"));
        return;
      }
      text = decode(Files.readAllBytes(path));
    } catch (MalformedInputException e) {
      diags.add(Diagnostic.error(at, "cannot read " + path + ": it is not UTF-8 text"));
      return;
    } catch (IOException e) {
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage();
      diags.add(Diagnostic.error(at, "cannot read " + path + ": " + why));
      return;
    }
    ConfigParser.ParseResult parsed = ConfigParser.parse(path.toString(), text);
    files.add(parsed.file());
    diags.addAll(parsed.diagnostics());
    stack.add(real);
    Path dir = real.getParent();
    for (Statement s : parsed.file().statements()) {
      if (s instanceof Include inc) {
        Path target = Path.of(inc.path());
        Path resolved = target.isAbsolute() ? target : dir.resolve(target);
        // Keep the path as the author would read it in messages.
        Path shown = target.isAbsolute() ? target : relativeToStart(path, target);
        read(resolved.equals(shown) ? resolved : shown, inc, files, diags, seen, stack);
      }
    }
    stack.remove(stack.size() - 1);
  }

  private static Path relativeToStart(Path includer, Path target) {
    Path parent = includer.getParent();
    return parent == null ? target : parent.resolve(target);
  }

  private static String decode(byte[] bytes) throws MalformedInputException {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes))
          .toString();
    } catch (MalformedInputException e) {
      throw e;
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new MalformedInputException(0);
    }
  }
}
