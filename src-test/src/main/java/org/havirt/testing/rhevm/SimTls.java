package org.havirt.testing.rhevm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.havirt.testing.PrivateLibvirtd;

/**
 * A CA and a server certificate for the simulator, made with the JDK's keytool in a directory of
 * the test's own (no library needed). The CA's PEM is what clients are told to trust.
 */
public final class SimTls {
  private static final String PW = "simulator";

  private final Path dir;

  private SimTls(Path dir) {
    this.dir = dir;
  }

  private static Path generated; // one CA per JVM: keytool takes seconds, tests need many servers

  /**
   * Puts a CA and a certificate for localhost/127.0.0.1 signed by it in {@code dir}. The material
   * is generated once per JVM and copied for every later simulator.
   */
  public static synchronized SimTls create(Path dir) throws IOException, InterruptedException {
    if (generated == null) {
      Path g = Files.createTempDirectory("havirt-sim-tls");
      generate(g);
      generated = g;
    }
    Files.createDirectories(dir);
    for (String f : List.of("ca.pem", "server.p12")) {
      Files.copy(
          generated.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return new SimTls(dir);
  }

  private static void generate(Path dir) throws IOException, InterruptedException {
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=havirt simulator CA",
        "-ext",
        "bc:c",
        "-validity",
        "3",
        "-keystore",
        dir.resolve("ca.p12").toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PW);
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "ca",
        "-keystore",
        dir.resolve("ca.p12").toString(),
        "-storepass",
        PW,
        "-file",
        dir.resolve("ca.pem").toString());
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=localhost",
        "-validity",
        "3",
        "-keystore",
        dir.resolve("server.p12").toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PW);
    keytool(
        "-certreq",
        "-alias",
        "server",
        "-keystore",
        dir.resolve("server.p12").toString(),
        "-storepass",
        PW,
        "-file",
        dir.resolve("server.csr").toString());
    keytool(
        "-gencert",
        "-alias",
        "ca",
        "-keystore",
        dir.resolve("ca.p12").toString(),
        "-storepass",
        PW,
        "-infile",
        dir.resolve("server.csr").toString(),
        "-outfile",
        dir.resolve("server.pem").toString(),
        "-ext",
        "SAN=dns:localhost,ip:127.0.0.1",
        "-validity",
        "3",
        "-rfc");
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "ca",
        "-file",
        dir.resolve("ca.pem").toString(),
        "-keystore",
        dir.resolve("server.p12").toString(),
        "-storepass",
        PW);
    keytool(
        "-importcert",
        "-alias",
        "server",
        "-file",
        dir.resolve("server.pem").toString(),
        "-keystore",
        dir.resolve("server.p12").toString(),
        "-storepass",
        PW);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    PrivateLibvirtd.Result r = PrivateLibvirtd.run(cmd, Duration.ofSeconds(60));
    if (r.exit() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + r.output());
    }
  }

  /** Returns the PEM file of the CA that signed the server certificate. */
  public Path caPem() {
    return dir.resolve("ca.pem");
  }

  /** Returns a server-side SSL context holding the server key and certificate chain. */
  public SSLContext serverContext() throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("server.p12"))) {
      ks.load(in, PW.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PW.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }
}
