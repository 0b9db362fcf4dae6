package org.havirt.types;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the passwords that configurations hold (RHEVMInfo.Password) with AES-256-GCM under a
 * host key file, so no plain password sits in main.cf. A value looks like {@code HVE1.<base64url>}
 * (nonce, ciphertext and tag), a bare word in main.cf. The key file is created on first use,
 * readable by its owner only. Messages never contain a password. Thread-safe.
 */
public final class PasswordCipher {
  /** The prefix of every encrypted value. */
  public static final String PREFIX = "HVE1.";

  /** The default host key file. */
  public static final Path DEFAULT_KEY_FILE = Path.of("/etc/havirt/havirt.key");

  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private final SecretKeySpec key;

  private PasswordCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** Opens the key file, creating it (mode 0600, 32 random bytes) if it does not exist. */
  public static PasswordCipher openOrCreate(Path keyFile) throws IOException {
    if (!Files.exists(keyFile)) {
      Path dir = keyFile.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      byte[] k = new byte[32];
      new SecureRandom().nextBytes(k);
      try {
        Files.createFile(
            keyFile,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(keyFile, Base64.getEncoder().encode(k));
      } catch (FileAlreadyExistsException raced) {
        // another process created it first: use theirs
      }
    }
    return open(keyFile);
  }

  /** Opens an existing key file. */
  public static PasswordCipher open(Path keyFile) throws IOException {
    byte[] k;
    try {
      k = Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).trim());
    } catch (IllegalArgumentException e) {
      throw new IOException("the key file " + keyFile + " is damaged (not base64)");
    }
    if (k.length != 32) {
      throw new IOException("the key file " + keyFile + " is damaged (not a 256-bit key)");
    }
    return new PasswordCipher(k);
  }

  /** Returns whether {@code value} looks like an encrypted value. */
  public static boolean isEncrypted(String value) {
    return value != null && value.startsWith(PREFIX);
  }

  public String encrypt(String password) {
    try {
      byte[] nonce = new byte[NONCE];
      new SecureRandom().nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      byte[] ct = c.doFinal(password.getBytes(StandardCharsets.UTF_8));
      ByteBuffer out = ByteBuffer.allocate(NONCE + ct.length).put(nonce).put(ct);
      return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is unavailable in this JVM", e);
    }
  }

  /**
   * Decrypts a value made by {@link #encrypt}.
   *
   * @throws IllegalArgumentException when the value is not ours or was made with another key; the
   *     message says so without quoting the value
   */
  public String decrypt(String value) {
    if (!isEncrypted(value)) {
      throw new IllegalArgumentException(
          "the value is not encrypted: encrypt it with 'havirt encrypt'");
    }
    byte[] all;
    try {
      all = Base64.getUrlDecoder().decode(value.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the encrypted value is damaged");
    }
    if (all.length < NONCE + TAG_BITS / 8) {
      throw new IllegalArgumentException("the encrypted value is damaged");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, all, 0, NONCE));
      return new String(c.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "the encrypted value does not decrypt with this host's key file "
              + "(made on another host, or the key file changed): encrypt it again with 'havirt encrypt'");
    }
  }
}
