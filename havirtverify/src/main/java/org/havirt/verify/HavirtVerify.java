package org.havirt.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.havirt.agent.backend.Backends;
import org.havirt.agent.cli.LoadedConfig;
import org.havirt.agent.cli.NodeOptions;
import org.havirt.agent.verify.Verification;
import org.havirt.agent.verify.Verifier;
import org.havirt.config.ResourceResolver;
import org.havirt.types.Deadline;
import org.havirt.types.backend.Check;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code havirtverify RESOURCE}: validates the virtualization environment of one resource on this
 * node (spec §8), with the checks the agent runs in open and attr_changed. Runs in its own process
 * and needs no agent.
 */
@Command(
    name = "havirtverify",
    mixinStandardHelpOptions = true,
    versionProvider = HavirtVerify.Version.class,
    description = {
      "Validate the virtualization environment of RESOURCE on this node: for RHEV, RHEV-M over",
      "verified TLS, the credentials, the cluster, the VM, RHEV's own HA off, this host; for KVM,",
      "libvirtd, the guest's definition or XML, SyncDir, the disks, the migration URIs; DROpts.",
      "Prints the result line, then one line per failed check with how to fix it."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the environment is valid",
      "1:validation failed",
      "2:bad usage, or the configuration cannot be used"
    })
public final class HavirtVerify implements Callable<Integer> {
  static final int EXIT_FAILED = 1;
  static final int EXIT_USAGE = 2;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "RESOURCE", description = "the KVMGuest resource in main.cf")
  String resource;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "MAIN_CF",
      defaultValue = "${env:HAVIRT_CONFIG:-/etc/havirt/main.cf}",
      description = "the cluster configuration (env HAVIRT_CONFIG; default ${DEFAULT-VALUE})")
  Path config;

  @Option(
      names = "--sys",
      paramLabel = "SYSTEM",
      description = "this node's system name (default: the short host name)")
  String system;

  @Option(names = "--json", description = "print the result as JSON, for scripts")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "60",
      description = "give up on the checks after this long (default ${DEFAULT-VALUE})")
  long timeout;

  @Mixin NodeOptions node;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Optional<LoadedConfig> cfg = LoadedConfig.load(config, err);
      if (cfg.isEmpty()) {
        return EXIT_USAGE;
      }
      String sys = system != null ? system : LoadedConfig.defaultSystem();
      Optional<ResourceResolver.Resolved> res = cfg.get().resolver.resolve(resource, sys);
      if (res.isEmpty()) {
        err.println("havirtverify: no resource named '" + resource + "' in " + config);
        return EXIT_USAGE;
      }
      if (!res.get().placed().resource().type().equals("KVMGuest")) {
        err.println(
            "havirtverify: "
                + resource
                + " is a "
                + res.get().placed().resource().type()
                + " resource; havirtverify validates KVMGuest resources");
        return EXIT_USAGE;
      }
      Map<String, String> settings = new HashMap<>(node.settings().values());
      settings.putIfAbsent("rhev.host", cfg.get().resolver.hypervisorOf(sys));
      // An unbound (HVE1) RHEV-M password fails here; the agent only warns, so an upgrade keeps
      // resources running until they are re-encrypted.
      settings.put("rhev.unbound.password", "fail");
      Verification v;
      try (Backends backends = new Backends(new VmBackendFactory.Settings(settings))) {
        Optional<VmBackend> backend = backends.forGuest(res.get().spec());
        v =
            Verifier.verify(
                res.get().spec(),
                backend,
                backends.names(),
                Deadline.in(Duration.ofSeconds(timeout)));
      }
      if (json) {
        out.println(toJson(v).toPrettyString());
      } else {
        out.println(v.report());
      }
      return v.passed() ? 0 : EXIT_FAILED;
    } finally {
      out.flush();
      err.flush();
    }
  }

  static ObjectNode toJson(Verification v) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("resource", v.resource())
        .put("environment", v.environment())
        .put("passed", v.passed())
        .put("message", v.headline());
    ArrayNode checks = n.putArray("checks");
    for (Check c : v.checks()) {
      ObjectNode o = checks.addObject().put("name", c.name()).put("passed", c.passed());
      o.put("detail", c.detail());
      if (!c.passed()) {
        o.put("fix", c.fix());
      }
    }
    return n;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = HavirtVerify.class.getPackage().getImplementationVersion();
      return new String[] {"havirtverify " + (v == null ? "(development build)" : v)};
    }
  }

  /** Returns the command line with havirtverify's error handling: one line, exit 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new HavirtVerify());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          cmd.getErr().println("havirtverify: " + ex.getMessage());
          cmd.getErr().flush();
          return EXIT_USAGE;
        });
    return cl;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
