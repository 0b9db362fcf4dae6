package org.havirt.agent.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.havirt.types.PasswordCipher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code havirt encrypt}: turns a password into the value RHEVMInfo.Password holds. */
@Command(
    name = "encrypt",
    mixinStandardHelpOptions = true,
    description = {
      "Read a password from the terminal (asked twice, not echoed) or, when standard input is not a",
      "terminal, from its first line, and print the encrypted value for RHEVMInfo.Password. The",
      "password is never taken from the command line, so it never shows in process listings.",
      "The value is bound to the RHEV-M and user given: a resource whose RHEVMInfo names another",
      "URL or User cannot use it. The host key file is created on first use, readable by root only;",
      "every node that runs the resource needs the same key file."
    })
final class EncryptCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      defaultValue = "${env:HAVIRT_KEY_FILE:-/etc/havirt/havirt.key}",
      description = "the host key file (env HAVIRT_KEY_FILE; default ${DEFAULT-VALUE})")
  Path keyFile;

  @Option(
      names = "--url",
      required = true,
      paramLabel = "URL",
      description = "RHEVMInfo.URL of the resources that will use the value (https://HOST[:PORT])")
  String url;

  @Option(
      names = "--user",
      required = true,
      paramLabel = "USER",
      description = "RHEVMInfo.User of those resources (user@domain, exactly as written there)")
  String user;

  @Override
  public Integer call() throws IOException {
    try {
      PasswordCipher.canonicalUrl(url);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("havirt: " + e.getMessage() + "; nothing was encrypted");
      return HavirtMain.EXIT_PROBLEM;
    }
    String password;
    Console console = System.console();
    if (console != null) {
      char[] a = console.readPassword("Password: ");
      char[] b = console.readPassword("Again: ");
      if (a == null || b == null || !Arrays.equals(a, b)) {
        spec.commandLine()
            .getErr()
            .println("havirt: the two passwords differ; nothing was encrypted");
        return HavirtMain.EXIT_PROBLEM;
      }
      password = new String(a);
      Arrays.fill(a, '\0');
      Arrays.fill(b, '\0');
    } else {
      String line =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (line == null || line.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println("havirt: no password on standard input; nothing was encrypted");
        return HavirtMain.EXIT_PROBLEM;
      }
      password = line;
    }
    spec.commandLine()
        .getOut()
        .println(PasswordCipher.openOrCreate(keyFile).encryptFor(password, url, user));
    spec.commandLine().getOut().flush();
    return 0;
  }
}
