package org.havirt.backend.kvm.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Replaces a file so that, once a write returns, its new content survives a power loss: a temporary
 * file in the same directory is written and fsynced, renamed over the target, and the directory
 * fsynced (without the two fsyncs XFS, ext4 without auto_da_alloc or NFS can leave an empty or old
 * file after a crash, issue 15). A reader sees the old content or the new, never a mix. A failed
 * fsync is a failed write: the caller must not report success. Stateless and thread-safe; writers
 * of one target serialize among themselves.
 */
public final class DurableFiles {
  /** Makes what was written through {@code channel} (a file or a directory) durable. */
  @FunctionalInterface
  public interface Sync {
    void force(FileChannel channel, Path path) throws IOException;
  }

  /** The real one: fsync(2). */
  public static final Sync FSYNC = (channel, path) -> channel.force(true);

  private DurableFiles() {}

  /** Replaces {@code target} with {@code content}; a new file is owner-only (0600). */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, FSYNC);
  }

  /** As {@link #write(Path, byte[])}, making the file and directory durable with {@code sync}. */
  public static void write(Path target, byte[] content, Sync sync) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    // Files the agent writes may hold secrets (the domain XML's VIR_DOMAIN_XML_SECURE parts).
    Path tmp =
        Files.createTempFile(
            dir,
            "." + target.getFileName(),
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        sync.force(ch, tmp);
      }
      // A rename within one directory is atomic on every POSIX file system: no fallback to a
      // non-atomic move, which could leave a half-written target.
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory(dir, sync);
  }

  /** Makes the entries of {@code dir} (a rename, a new or deleted file) durable. */
  public static void syncDirectory(Path dir, Sync sync) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      sync.force(ch, dir);
    }
  }
}
