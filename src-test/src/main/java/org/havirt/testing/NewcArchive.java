package org.havirt.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs. No
 * cpio binary is needed, and the archive is the same bytes for the same entries (every time stamp
 * is 0), so the test guest's cache key can rely on its inputs alone. Not thread-safe.
 */
final class NewcArchive implements AutoCloseable {
  private static final int DIR = 0040000;
  private static final int FILE = 0100000;
  private static final int CHAR_DEVICE = 0020000;

  private final OutputStream out;
  private long written;
  private int inode = 1;

  NewcArchive(OutputStream out) {
    this.out = out;
  }

  /** A directory; {@code path} is relative ("bin", "etc/acpi"). */
  void directory(String path) throws IOException {
    entry(path, DIR | 0755, 2, 0, 0, new byte[0]);
  }

  /** A regular file with {@code mode} (e.g. 0755) and {@code content}. */
  void file(String path, int mode, byte[] content) throws IOException {
    entry(path, FILE | mode, 1, 0, 0, content);
  }

  /** A character device node, e.g. dev/console (5, 1). */
  void charDevice(String path, int mode, int major, int minor) throws IOException {
    entry(path, CHAR_DEVICE | mode, 1, major, minor, new byte[0]);
  }

  private void entry(String path, int mode, int links, int major, int minor, byte[] data)
      throws IOException {
    byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder("070701");
    int[] fields = {
      inode++, mode, 0, 0, links, 0, data.length, 0, 0, major, minor, name.length, 0
    }; // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    for (int f : fields) {
      h.append(String.format("%08x", f));
    }
    write(h.toString().getBytes(StandardCharsets.US_ASCII));
    write(name);
    pad();
    write(data);
    pad();
  }

  private void write(byte[] b) throws IOException {
    out.write(b);
    written += b.length;
  }

  private void pad() throws IOException {
    while (written % 4 != 0) {
      write(new byte[1]);
    }
  }

  /** Writes the trailer entry; the stream stays open. */
  @Override
  public void close() throws IOException {
    entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
    out.flush();
  }
}
