package org.havirt.nemesis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's shared XML never goes back to an older content: the generation in its {@code
 * <description>gen N</description>} (advanced only by the {@code xml-edit} fault, on the node that
 * runs the guest) never decreases in the file. Thread-safe.
 */
final class XmlForward implements ExtraInvariant {
  private static final Pattern GEN = Pattern.compile("<description>gen (\\d+)</description>");

  private final Map<String, Path> files;
  private final Map<String, Long> highest = new ConcurrentHashMap<>();
  private final Map<String, Long> issued = new ConcurrentHashMap<>();

  XmlForward(Map<String, Path> files) {
    this.files = Map.copyOf(files);
  }

  /** The next generation for a guest's edit (above any seen or issued). */
  synchronized long nextGen(String guest) {
    long n = Math.max(issued.getOrDefault(guest, 1L), highest.getOrDefault(guest, 1L)) + 1;
    issued.put(guest, n);
    return n;
  }

  @Override
  public String name() {
    return "xml-forward";
  }

  @Override
  public Optional<String> check() {
    for (var e : files.entrySet()) {
      String text;
      try {
        text = Files.readString(e.getValue());
      } catch (IOException ex) {
        continue; // being renamed into place: the next check reads it
      }
      Matcher m = GEN.matcher(text);
      if (!m.find()) {
        continue;
      }
      long gen = Long.parseLong(m.group(1));
      Long before = highest.get(e.getKey());
      if (before != null && gen < before) {
        highest.put(e.getKey(), gen); // report once per step back
        return Optional.of(e.getValue() + " went back from gen " + before + " to gen " + gen);
      }
      if (before == null || gen > before) {
        highest.put(e.getKey(), gen);
      }
    }
    return Optional.empty();
  }
}
