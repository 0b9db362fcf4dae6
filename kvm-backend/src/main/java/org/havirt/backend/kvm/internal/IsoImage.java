package org.havirt.backend.kvm.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a small ISO 9660 image with Joliet names: a flat root holding a few files, which is all a
 * CD-ROM payload needs. Joliet keeps the real (lower-case, hyphenated) file names that the guest
 * looks for; the primary tree has ISO level 1 names for readers without Joliet. Pure Java, so a
 * hypervisor needs no genisoimage. Stateless and thread-safe.
 */
public final class IsoImage {
  private static final int SECTOR = 2048;
  // Sectors: 0-15 system area, 16 primary descriptor, 17 Joliet descriptor, 18 terminator,
  // 19-22 the path tables (L and M, primary and Joliet), 23 and 24 the two root directories.
  private static final int PVD = 16;
  private static final int SVD = 17;
  private static final int TERMINATOR = 18;
  private static final int PATH_TABLES = 19;
  private static final int ROOT = 23;
  private static final int JOLIET_ROOT = 24;
  private static final int FIRST_FILE = 25;

  private IsoImage() {}

  /**
   * Returns the image holding {@code files} (name to content) in its root, named {@code volume}.
   * Names must be short (at most 64 characters) and contain no slash.
   */
  public static byte[] build(String volume, Map<String, byte[]> files, ZonedDateTime when) {
    TreeMap<String, byte[]> sorted = new TreeMap<>(files);
    List<Integer> extents = new ArrayList<>();
    int next = FIRST_FILE;
    for (byte[] content : sorted.values()) {
      extents.add(next);
      next += Math.max(1, (content.length + SECTOR - 1) / SECTOR);
    }
    ByteBuffer iso = ByteBuffer.allocate(next * SECTOR);
    ZonedDateTime utc = when.withZoneSameInstant(ZoneOffset.UTC);
    descriptor(iso, PVD, false, volume, next, utc);
    descriptor(iso, SVD, true, volume, next, utc);
    iso.position(TERMINATOR * SECTOR);
    iso.put((byte) 255).put("CD001".getBytes(StandardCharsets.US_ASCII)).put((byte) 1);
    pathTable(iso, PATH_TABLES, ROOT, ByteOrder.LITTLE_ENDIAN);
    pathTable(iso, PATH_TABLES + 1, ROOT, ByteOrder.BIG_ENDIAN);
    pathTable(iso, PATH_TABLES + 2, JOLIET_ROOT, ByteOrder.LITTLE_ENDIAN);
    pathTable(iso, PATH_TABLES + 3, JOLIET_ROOT, ByteOrder.BIG_ENDIAN);
    for (boolean joliet : new boolean[] {false, true}) {
      int self = joliet ? JOLIET_ROOT : ROOT;
      iso.position(self * SECTOR);
      record(iso, self, SECTOR, true, new byte[] {0}, utc);
      record(iso, self, SECTOR, true, new byte[] {1}, utc);
      int i = 0;
      for (var f : sorted.entrySet()) {
        byte[] name =
            joliet ? f.getKey().getBytes(StandardCharsets.UTF_16BE) : levelOneName(f.getKey());
        record(iso, extents.get(i++), f.getValue().length, false, name, utc);
      }
    }
    int i = 0;
    for (byte[] content : sorted.values()) {
      iso.position(extents.get(i++) * SECTOR);
      iso.put(content);
    }
    return iso.array();
  }

  /** An 8.3 upper-case name of d-characters with the ";1" version, e.g. HAVIRT_D.CON;1. */
  static byte[] levelOneName(String name) {
    String upper = name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_.]", "_");
    int dot = upper.lastIndexOf('.');
    String base = (dot < 0 ? upper : upper.substring(0, dot)).replace(".", "_");
    String ext = dot < 0 ? "" : upper.substring(dot + 1);
    base = base.substring(0, Math.min(8, base.length()));
    ext = ext.substring(0, Math.min(3, ext.length()));
    return (base + "." + ext + ";1").getBytes(StandardCharsets.US_ASCII);
  }

  private static void descriptor(
      ByteBuffer iso, int sector, boolean joliet, String volume, int size, ZonedDateTime utc) {
    int at = sector * SECTOR;
    iso.position(at);
    iso.put((byte) (joliet ? 2 : 1)).put("CD001".getBytes(StandardCharsets.US_ASCII)).put((byte) 1);
    iso.put((byte) 0);
    text(iso, at + 8, 32, "LINUX", joliet);
    text(iso, at + 40, 32, volume, joliet);
    both32(iso, at + 80, size);
    if (joliet) {
      iso.position(at + 88);
      iso.put("%/E".getBytes(StandardCharsets.US_ASCII)); // UCS-2 level 3
    }
    both16(iso, at + 120, 1); // volume set size
    both16(iso, at + 124, 1); // volume sequence number
    both16(iso, at + 128, SECTOR);
    both32(iso, at + 132, 10); // one path table entry: the root
    int tables = joliet ? PATH_TABLES + 2 : PATH_TABLES;
    iso.order(ByteOrder.LITTLE_ENDIAN).putInt(at + 140, tables);
    iso.order(ByteOrder.BIG_ENDIAN).putInt(at + 148, tables + 1);
    iso.position(at + 156);
    int root = joliet ? JOLIET_ROOT : ROOT;
    record(iso, root, SECTOR, true, new byte[] {0}, utc);
    for (int[] field : new int[][] {{190, 128}, {318, 128}, {446, 128}, {574, 128}}) {
      text(iso, at + field[0], field[1], field[0] == 574 ? "HAVIRT" : "", joliet);
    }
    for (int[] field : new int[][] {{702, 37}, {739, 37}, {776, 37}}) {
      text(iso, at + field[0], field[1], "", joliet);
    }
    longDate(iso, at + 813, utc);
    longDate(iso, at + 830, utc);
    longDate(iso, at + 847, null);
    longDate(iso, at + 864, null);
    iso.put(at + 881, (byte) 1); // file structure version
  }

  private static void pathTable(ByteBuffer iso, int sector, int root, ByteOrder order) {
    int at = sector * SECTOR;
    iso.put(at, (byte) 1); // identifier length
    iso.order(order).putInt(at + 2, root);
    iso.order(order).putShort(at + 6, (short) 1); // parent: itself
    iso.order(ByteOrder.BIG_ENDIAN);
  }

  private static void record(
      ByteBuffer iso, int extent, int length, boolean dir, byte[] name, ZonedDateTime utc) {
    int size = 33 + name.length + (name.length % 2 == 0 ? 1 : 0);
    int at = iso.position();
    iso.put(at, (byte) size);
    both32(iso, at + 2, extent);
    both32(iso, at + 10, length);
    iso.put(at + 18, (byte) (utc.getYear() - 1900));
    iso.put(at + 19, (byte) utc.getMonthValue());
    iso.put(at + 20, (byte) utc.getDayOfMonth());
    iso.put(at + 21, (byte) utc.getHour());
    iso.put(at + 22, (byte) utc.getMinute());
    iso.put(at + 23, (byte) utc.getSecond());
    iso.put(at + 25, (byte) (dir ? 2 : 0));
    both16(iso, at + 28, 1);
    iso.put(at + 32, (byte) name.length);
    iso.position(at + 33);
    iso.put(name);
    iso.position(at + size);
  }

  private static void text(ByteBuffer iso, int at, int length, String value, boolean ucs2) {
    byte[] pad = ucs2 ? new byte[] {0, ' '} : new byte[] {' '};
    byte[] bytes = value.getBytes(ucs2 ? StandardCharsets.UTF_16BE : StandardCharsets.US_ASCII);
    iso.position(at);
    for (int i = 0; i < length; i++) {
      iso.put(i < bytes.length ? bytes[i] : pad[i % pad.length]);
    }
  }

  private static void longDate(ByteBuffer iso, int at, ZonedDateTime utc) {
    String digits =
        utc == null
            ? "0000000000000000"
            : String.format(
                "%04d%02d%02d%02d%02d%02d00",
                utc.getYear(),
                utc.getMonthValue(),
                utc.getDayOfMonth(),
                utc.getHour(),
                utc.getMinute(),
                utc.getSecond());
    iso.position(at);
    iso.put(digits.getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
  }

  private static void both16(ByteBuffer iso, int at, int value) {
    iso.order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) value);
    iso.order(ByteOrder.BIG_ENDIAN).putShort(at + 2, (short) value);
  }

  private static void both32(ByteBuffer iso, int at, int value) {
    iso.order(ByteOrder.LITTLE_ENDIAN).putInt(at, value);
    iso.order(ByteOrder.BIG_ENDIAN).putInt(at + 4, value);
  }
}
