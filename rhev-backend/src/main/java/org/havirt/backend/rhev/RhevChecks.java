package org.havirt.backend.rhev;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.havirt.types.Deadline;
import org.havirt.types.PasswordCipher;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.GuestSpec;

/**
 * The RHEV environment checks of havirtverify (spec §8): the key file (a regular file owned by
 * root, mode 0600), RHEVMInfo usable, the password bound to its RHEV-M and user (HVE2), RHEV-M
 * reachable over verified TLS, the credentials valid, the cluster, the VM by exact name, RHEV's own
 * HA off for it, and this system's RHEV host. Reads only. Stateless.
 */
final class RhevChecks {
  private RhevChecks() {}

  interface ClientSource {
    RhevClient client(GuestSpec g) throws BackendException;
  }

  /** The command that makes a bound value for {@code url} and {@code user}, quoted for a shell. */
  static String reEncryptCommand(String url, String user, Path keyFile) {
    return "havirt encrypt --url "
        + shellQuote(url)
        + " --user "
        + shellQuote(user)
        + (keyFile.equals(PasswordCipher.DEFAULT_KEY_FILE)
            ? ""
            : " --key-file " + shellQuote(keyFile.toString()));
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * @param unboundFails whether an unbound (HVE1) password fails its check: in havirtverify it
   *     does; in the agent it passes with the same advice, so an upgrade keeps resources running
   */
  static List<Check> verify(
      ClientSource clients,
      Path keyFile,
      boolean unboundFails,
      GuestSpec guest,
      String thisHost,
      Deadline deadline) {
    List<Check> out = new ArrayList<>();
    try {
      PasswordCipher.open(keyFile);
      out.add(Check.pass("key-file", "the key file " + keyFile + " is root's alone"));
    } catch (java.io.IOException e) {
      out.add(
          Check.fail(
              "key-file",
              e instanceof java.nio.file.NoSuchFileException
                  ? "the key file " + keyFile + " does not exist"
                  : e.getMessage(),
              "copy the key file from the node where the password was encrypted (root:root,"
                  + " mode 0600), or run havirt encrypt here"));
    }
    RhevClient c;
    try {
      c = clients.client(guest);
    } catch (BackendException e) {
      out.add(Check.fail("rhevminfo", e.getMessage(), "fix RHEVMInfo in main.cf"));
      return out;
    }
    String url = guest.associationKey("RHEVMInfo", "URL").orElse("?");
    String user = guest.associationKey("RHEVMInfo", "User").orElse("?");
    String canonical = PasswordCipher.canonicalUrl(url); // the client exists: the URL is valid
    if (guest
        .associationKey("RHEVMInfo", "Password")
        .orElse("")
        .startsWith(PasswordCipher.LEGACY_PREFIX)) {
      String why =
          "RHEVMInfo.Password is an HVE1 value, not bound to its RHEV-M: anyone who can"
              + " configure a resource could send it to another server";
      String fix =
          "run "
              + reEncryptCommand(url, user, keyFile)
              + " and put its output in RHEVMInfo.Password";
      out.add(
          unboundFails
              ? Check.fail("password-binding", why, fix)
              : Check.pass("password-binding", why + " (" + fix + ")"));
    } else {
      out.add(
          Check.pass(
              "password-binding",
              "RHEVMInfo.Password is bound to " + canonical + " and user " + user));
    }
    try {
      c.get("", deadline);
      out.add(Check.pass("rhevm", "RHEV-M at " + url + " answers over verified TLS"));
      out.add(Check.pass("credentials", "user " + user + " is accepted"));
    } catch (BackendException e) {
      switch (e.kind()) {
        case PERMISSION -> {
          out.add(Check.pass("rhevm", "RHEV-M at " + url + " answers over verified TLS"));
          out.add(
              Check.fail(
                  "credentials",
                  e.getMessage(),
                  "check RHEVMInfo.User (user@domain) and re-encrypt the password with"
                      + " 'havirt encrypt'"));
        }
        case MISCONFIGURED ->
            out.add(
                Check.fail(
                    "rhevm",
                    e.getMessage(),
                    "give RHEV-M's CA certificate with RHEVMInfo CAFile (or the node option"
                        + " --rhev-ca-file), and an https:// URL"));
        case NOT_FOUND, TRANSIENT, TIMED_OUT, NOT_INSTALLED, UNSUPPORTED, FAILED ->
            out.add(
                Check.fail(
                    "rhevm",
                    e.getMessage(),
                    "check RHEVMInfo.URL, that RHEV-M runs, and that this host can reach it"));
      }
      return out;
    }
    try {
      Optional<String> cluster = guest.associationKey("RHEVMInfo", "Cluster");
      if (cluster.isEmpty()) {
        out.add(
            Check.fail(
                "cluster",
                "RHEVMInfo.Cluster is not set",
                "set it to the RHEV cluster of this site's hosts"));
      } else if (RhevHosts.clusterIdByName(c, cluster.get(), deadline).isEmpty()) {
        out.add(
            Check.fail(
                "cluster",
                "RHEV-M has no cluster named '" + cluster.get() + "'",
                "set RHEVMInfo.Cluster to a cluster RHEV-M lists (names are case-sensitive)"));
      } else {
        out.add(Check.pass("cluster", "cluster " + cluster.get() + " exists"));
      }
      Optional<JsonNode> vm = RhevBackend.findVm(c, guest.guestName(), deadline);
      if (vm.isEmpty()) {
        out.add(
            Check.fail(
                "vm",
                "RHEV-M has no VM named exactly '" + guest.guestName() + "'",
                "set GuestName to the VM's name in RHEV-M (case-sensitive)"));
      } else {
        out.add(Check.pass("vm", "VM " + guest.guestName() + " exists"));
        boolean ha = vm.get().path("high_availability").path("enabled").asBoolean(false);
        out.add(
            ha
                ? Check.fail(
                    "rhev-ha",
                    "RHEV's own high availability is enabled for VM " + guest.guestName(),
                    "disable it (VM > Edit > High Availability), or RHEV-M and the cluster engine"
                        + " will both restart the VM")
                : Check.pass("rhev-ha", "RHEV's own high availability is off for the VM"));
      }
      if (RhevHosts.byName(c, thisHost, deadline).isEmpty()) {
        out.add(
            Check.fail(
                "host",
                "RHEV-M has no host named '" + thisHost + "' (this system)",
                "set this system's PhysicalServer to its host name in RHEV-M"));
      } else {
        out.add(Check.pass("host", "this system is RHEV host " + thisHost));
      }
    } catch (BackendException e) {
      out.add(Check.fail("rhevm", "RHEV-M stopped answering: " + e.getMessage(), "try again"));
    }
    return out;
  }
}
