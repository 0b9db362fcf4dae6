package org.havirt.types;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the passwords that configurations hold (RHEVMInfo.Password) with AES-256-GCM under a
 * host key file, so no plain password sits in main.cf. Messages never contain a password.
 * Thread-safe.
 *
 * <p>A value made by {@link #encryptFor} looks like {@code HVE2.<base64url>} (key id, nonce,
 * ciphertext and tag). Its authenticated data is the RHEV-M it was made for, {@link #canonicalUrl}
 * of RHEVMInfo.URL, and RHEVMInfo.User: copied into a resource that names another RHEV-M or user,
 * it does not decrypt, so the password is never sent where it was not meant to go. {@code HVE1.}
 * values (before binding) still decrypt anywhere; {@link Secret#bound()} says which one it was.
 *
 * <p>The key file holds 32 random bytes in base64. It is created atomically (a temporary file,
 * fsync, then linked into place, so concurrent creators agree on one key and a crash never leaves a
 * half-written file) and refused unless it is a regular file owned by root that only root can read.
 */
public final class PasswordCipher {
  /** The prefix of a value bound to its RHEV-M and user. */
  public static final String PREFIX = "HVE2.";

  /** The prefix of a value made before binding, still accepted (see {@link Secret#bound()}). */
  public static final String LEGACY_PREFIX = "HVE1.";

  /** The default host key file. */
  public static final Path DEFAULT_KEY_FILE = Path.of("/etc/havirt/havirt.key");

  /** The message for a bound value used with another RHEV-M or user. */
  public static final String OTHER_BINDING =
      "RHEVMInfo.Password was encrypted for another RHEV-M or user: run havirt encrypt again";

  private static final int NONCE = 12;
  private static final int KEY_ID = 4;
  private static final int TAG_BITS = 128;
  private final SecretKeySpec key;
  private final byte[] keyId;

  /** A decrypted password, and whether its value was bound to its RHEV-M and user (HVE2). */
  public record Secret(String password, boolean bound) {
    @Override
    public String toString() {
      return "Secret[****, bound=" + bound + "]"; // never the password
    }
  }

  private PasswordCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      this.keyId =
          Arrays.copyOf(mac.doFinal("havirt key id".getBytes(StandardCharsets.US_ASCII)), KEY_ID);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is unavailable in this JVM", e);
    }
  }

  /**
   * Opens the key file, creating it first (mode 0600, 32 random bytes) if nothing is there.
   * Concurrent callers, in this process or others, end up with the same key.
   */
  public static PasswordCipher openOrCreate(Path keyFile) throws IOException {
    if (!Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
      create(keyFile);
    }
    return open(keyFile);
  }

  private static void create(Path keyFile) throws IOException {
    Path dir = keyFile.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Path tmp =
        Files.createTempFile(
            dir,
            ".havirt-key-",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(Base64.getEncoder().encode(k)));
        ch.force(true);
      }
      try {
        // A link, not a rename: it fails when another creator got there first, and then theirs
        // is the key, so everyone who encrypted with it keeps a valid value.
        Files.createLink(keyFile, tmp);
      } catch (FileAlreadyExistsException raced) {
        return;
      }
      try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
        d.force(true); // the new name survives a power loss
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Opens an existing key file, refusing one that is not a regular file (a symlink is not
   * followed), not owned by root, or readable or writable by anyone but its owner.
   */
  public static PasswordCipher open(Path keyFile) throws IOException {
    PosixFileAttributes a =
        Files.readAttributes(keyFile, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!a.isRegularFile()) {
      throw new IOException(
          "the key file "
              + keyFile
              + " is not a regular file"
              + (a.isSymbolicLink() ? " (a symbolic link)" : "")
              + ": put the key file itself there");
    }
    Object uid = Files.getAttribute(keyFile, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    if (!Integer.valueOf(0).equals(uid)) {
      throw new IOException(
          "the key file "
              + keyFile
              + " is owned by "
              + a.owner().getName()
              + ", not root: run 'chown root:root "
              + keyFile
              + "'");
    }
    Set<PosixFilePermission> p = a.permissions();
    if (p.stream().anyMatch(x -> !x.name().startsWith("OWNER_"))) {
      throw new IOException(
          "the key file "
              + keyFile
              + " has mode "
              + mode(p)
              + ", so others may read it: run 'chmod 0600 "
              + keyFile
              + "', and encrypt the passwords again if someone else may have read it");
    }
    byte[] k;
    try (FileChannel ch =
        FileChannel.open(keyFile, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteBuffer b = ByteBuffer.allocate(256);
      while (b.hasRemaining() && ch.read(b) > 0) {
        // a key file is 44 bytes; anything longer is damaged anyway
      }
      String text = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
      k = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IOException("the key file " + keyFile + " is damaged (not base64)");
    }
    if (k.length != 32) {
      throw new IOException("the key file " + keyFile + " is damaged (not a 256-bit key)");
    }
    return new PasswordCipher(k);
  }

  private static String mode(Set<PosixFilePermission> p) {
    int m = 0;
    for (PosixFilePermission x : p) {
      m |= 1 << (8 - x.ordinal()); // OWNER_READ is ordinal 0, the 0400 bit
    }
    return String.format(Locale.ROOT, "0%03o", m);
  }

  /** Returns whether {@code value} looks like an encrypted value (bound or not). */
  public static boolean isEncrypted(String value) {
    return value != null && (value.startsWith(PREFIX) || value.startsWith(LEGACY_PREFIX));
  }

  /**
   * The form of RHEVMInfo.URL that a value is bound to, and that the client connects to: scheme
   * {@code https}, the host in lower case (IPv6 literals in brackets), the port always written (443
   * when absent), and the path with {@code .} and {@code ..} segments resolved, repeated slashes
   * made one and no trailing slash. Percent-escapes in the path are kept as written.
   *
   * @throws IllegalArgumentException for anything but a plain https URL: user information, a query,
   *     a fragment, no host, or a path that climbs above the root
   */
  public static String canonicalUrl(String url) {
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("RHEVMInfo.URL is not a URL: '" + url + "'");
    }
    if (u.getScheme() == null || !u.getScheme().equalsIgnoreCase("https")) {
      throw new IllegalArgumentException(
          "RHEVMInfo.URL must be an https:// URL, not '" + url + "'");
    }
    if (u.getHost() == null
        || u.getRawUserInfo() != null
        || u.getRawQuery() != null
        || u.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "RHEVMInfo.URL must be https://HOST[:PORT][/PATH] with no user, query or fragment, not '"
              + url
              + "'");
    }
    String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/{2,}", "/");
    path = URI.create("https://x" + path).normalize().getRawPath();
    if (path.equals("/..") || path.startsWith("/../")) {
      throw new IllegalArgumentException(
          "RHEVMInfo.URL has a path that climbs above the root: '" + url + "'");
    }
    path = path.replaceAll("/+$", "");
    int port = u.getPort() < 0 ? 443 : u.getPort();
    return "https://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port + path;
  }

  /**
   * Encrypts {@code password} for the RHEV-M at {@code url} and its {@code user}.
   *
   * @throws IllegalArgumentException when {@code url} is not a plain https URL ({@link
   *     #canonicalUrl})
   */
  public String encryptFor(String password, String url, String user) {
    byte[] aad = binding(url, user);
    byte[] nonce = new byte[NONCE];
    new SecureRandom().nextBytes(nonce);
    byte[] ct = seal(password, nonce, aad);
    ByteBuffer out = ByteBuffer.allocate(KEY_ID + NONCE + ct.length).put(keyId).put(nonce).put(ct);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
  }

  /**
   * Makes an unbound {@code HVE1.} value, as havirt did before binding. Only tests of the upgrade
   * path need one now; {@code havirt encrypt} makes bound values.
   */
  public String encrypt(String password) {
    byte[] nonce = new byte[NONCE];
    new SecureRandom().nextBytes(nonce);
    byte[] ct = seal(password, nonce, null);
    ByteBuffer out = ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct);
    return LEGACY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
  }

  private static byte[] binding(String url, String user) {
    return ("HVE2\n" + canonicalUrl(url) + "\n" + user).getBytes(StandardCharsets.UTF_8);
  }

  private byte[] seal(String password, byte[] nonce, byte[] aad) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      if (aad != null) {
        c.updateAAD(aad);
      }
      return c.doFinal(password.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
    }
  }

  /**
   * Decrypts the value of RHEVMInfo.Password for a resource whose RHEVMInfo names {@code url} and
   * {@code user}: a bound value only when it was made for them, an {@code HVE1.} value always.
   *
   * @throws IllegalArgumentException when the value is not ours, was made with another key, or is
   *     bound to another RHEV-M or user ({@link #OTHER_BINDING}); the message never quotes the
   *     value
   */
  public Secret decryptFor(String value, String url, String user) {
    if (value != null && value.startsWith(LEGACY_PREFIX)) {
      return new Secret(decrypt(value), false);
    }
    if (value == null || !value.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "the value is not encrypted: encrypt it with 'havirt encrypt'");
    }
    byte[] all = decode(value.substring(PREFIX.length()), KEY_ID);
    if (!MessageDigest.isEqual(Arrays.copyOf(all, KEY_ID), keyId)) {
      throw otherKey();
    }
    byte[] aad = binding(url, user);
    return new Secret(open(all, KEY_ID, aad).orElseThrow(() -> otherBinding()), true);
  }

  /**
   * Decrypts an unbound {@code HVE1.} value.
   *
   * @throws IllegalArgumentException when the value is not an {@code HVE1.} value of this key; the
   *     message says so without quoting the value
   */
  public String decrypt(String value) {
    if (value != null && value.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "the value is bound to a RHEV-M and user: decrypt it with them");
    }
    if (value == null || !value.startsWith(LEGACY_PREFIX)) {
      throw new IllegalArgumentException(
          "the value is not encrypted: encrypt it with 'havirt encrypt'");
    }
    byte[] all = decode(value.substring(LEGACY_PREFIX.length()), 0);
    return open(all, 0, null).orElseThrow(PasswordCipher::otherKey);
  }

  private static byte[] decode(String b64, int header) {
    byte[] all;
    try {
      all = Base64.getUrlDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the encrypted value is damaged");
    }
    if (all.length < header + NONCE + TAG_BITS / 8) {
      throw new IllegalArgumentException("the encrypted value is damaged");
    }
    return all;
  }

  private java.util.Optional<String> open(byte[] all, int at, byte[] aad) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, at, NONCE));
      if (aad != null) {
        c.updateAAD(aad);
      }
      byte[] plain = c.doFinal(all, at + NONCE, all.length - at - NONCE);
      return java.util.Optional.of(new String(plain, StandardCharsets.UTF_8));
    } catch (javax.crypto.AEADBadTagException e) {
      return java.util.Optional.empty(); // another key, another binding, or tampered
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
    }
  }

  private static IllegalArgumentException otherKey() {
    return new IllegalArgumentException(
        "the encrypted value does not decrypt with this host's key file "
            + "(made on another host, or the key file changed): encrypt it again with 'havirt encrypt'");
  }

  private static IllegalArgumentException otherBinding() {
    return new IllegalArgumentException(OTHER_BINDING);
  }
}
