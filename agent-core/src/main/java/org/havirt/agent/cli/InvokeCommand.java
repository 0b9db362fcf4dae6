package org.havirt.agent.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.havirt.agent.backend.Backends;
import org.havirt.agent.resource.EntryResult;
import org.havirt.agent.resource.ResourceAgent;
import org.havirt.config.ResourceResolver;
import org.havirt.types.CleanReason;
import org.havirt.types.EntryPoint;
import org.havirt.types.ExecStatus;
import org.havirt.types.ScriptExitCodes;
import org.havirt.types.Ticker;
import org.havirt.types.backend.MigrationTarget;
import org.havirt.types.backend.VmBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code havirt invoke}: runs one entry point in this process, with VCS script exit codes. */
@Command(
    name = "invoke",
    mixinStandardHelpOptions = true,
    description = {
      "Run one entry point of RESOURCE now, without a daemon, and print a one-line reason.",
      "Exit codes are those of VCS script agents: monitor 99 UNKNOWN, 100 OFFLINE, 101-110 ONLINE",
      "(confidence 10-100), 200 INTENTIONAL OFFLINE; online/offline the seconds to wait before",
      "monitoring; clean 0 success, 1 failure; migrate 0 success, 255 failure; action 0/1.",
      "A configuration with errors, or an unknown resource, exits 2 and does nothing."
    })
final class InvokeCommand implements Callable<Integer> {
  static final int MIGRATE_FAILED = 255;

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "ENTRY_POINT",
      description = "online, offline, monitor, clean, migrate or action")
  String entryPoint;

  @Parameters(index = "1", paramLabel = "RESOURCE", description = "the resource name in main.cf")
  String resource;

  @Parameters(
      index = "2..*",
      paramLabel = "ARG",
      description = "action: the action name, then its arguments")
  List<String> args = new ArrayList<>();

  @Mixin ConfigOptions cfgOpts;

  @Option(
      names = "--reason",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "clean: the VCS clean reason 0-5 (default ${DEFAULT-VALUE}, unexpected offline)")
  int reason;

  @Option(names = "--to", paramLabel = "SYSTEM", description = "migrate: the target system")
  String target;

  @Mixin NodeOptions node;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Optional<EntryPoint> ep = EntryPoint.fromScriptName(entryPoint);
    if (ep.isEmpty()
        || !List.of(
                EntryPoint.ONLINE,
                EntryPoint.OFFLINE,
                EntryPoint.MONITOR,
                EntryPoint.CLEAN,
                EntryPoint.MIGRATE,
                EntryPoint.ACTION)
            .contains(ep.get())) {
      return usage(
          err,
          "unknown entry point '"
              + entryPoint
              + "': use online, offline, monitor, clean, migrate or action");
    }
    Optional<CleanReason> why = CleanReason.fromCode(reason);
    if (why.isEmpty()) {
      return usage(err, "--reason must be 0-5");
    }
    if (ep.get() == EntryPoint.MIGRATE && target == null) {
      return usage(err, "migrate needs --to SYSTEM");
    }
    if (ep.get() == EntryPoint.ACTION && args.isEmpty()) {
      return usage(err, "action needs the action name, e.g. havirt invoke action RES vmconfigsync");
    }
    Optional<LoadedConfig> cfg = LoadedConfig.load(cfgOpts.config, err);
    if (cfg.isEmpty()) {
      return HavirtMain.EXIT_USAGE;
    }
    String sys = cfgOpts.system();
    Optional<ResourceResolver.Resolved> res = cfg.get().resolver.resolve(resource, sys);
    if (res.isEmpty()) {
      return usage(err, "no resource named '" + resource + "' in " + cfgOpts.config);
    }
    java.util.Map<String, String> settings = new java.util.HashMap<>(node.settings().values());
    settings.putIfAbsent("rhev.host", cfg.get().resolver.hypervisorOf(sys));
    try (Backends backends =
        new Backends(new org.havirt.types.backend.VmBackendFactory.Settings(settings))) {
      Optional<VmBackend> backend = backends.forGuest(res.get().spec());
      if (backend.isEmpty()) {
        return usage(
            err,
            "no backend for resource '"
                + resource
                + "' on the class path (have: "
                + backends.names()
                + ")");
      }
      ResourceAgent agent = new ResourceAgent(backend.get(), Ticker.SYSTEM);
      EntryResult r =
          switch (ep.get()) {
            case MONITOR -> agent.monitor(res.get().spec());
            case ONLINE -> agent.online(res.get().spec());
            case OFFLINE -> agent.offline(res.get().spec());
            case CLEAN -> agent.clean(res.get().spec(), why.get());
            case MIGRATE -> migrate(cfg.get(), agent, res.get(), sys);
            case ACTION ->
                agent.action(res.get().spec(), args.get(0), args.subList(1, args.size()));
            case OPEN, CLOSE, ATTR_CHANGED -> throw new IllegalStateException("filtered above");
          };
      print(out, r);
      return exitCode(r);
    }
  }

  private EntryResult migrate(
      LoadedConfig cfg, ResourceAgent agent, ResourceResolver.Resolved res, String sys) {
    Optional<String> refusal = cfg.resolver.migrationRefusal(resource, sys, target);
    if (refusal.isPresent()) {
      return new EntryResult(
          EntryPoint.MIGRATE, ExecStatus.FAILED, Optional.empty(), 0, refusal.get(), "");
    }
    return agent.migrate(
        res.spec(), new MigrationTarget(target, cfg.resolver.hypervisorOf(target)));
  }

  private void print(PrintWriter out, EntryResult r) {
    String head = r.entryPoint().scriptName() + " " + resource + ": ";
    String body = r.state().map(s -> s.toString()).orElse(r.exec() + " " + r.reason());
    if (r.waitSeconds() > 0) {
      body += " (monitor in " + r.waitSeconds() + " s)";
    }
    out.println(head + body);
    if (!r.output().isEmpty()) {
      out.println(r.output());
    }
    out.flush();
  }

  private static int exitCode(EntryResult r) {
    return switch (r.entryPoint()) {
      case MONITOR -> ScriptExitCodes.monitorCode(r.state().orElseThrow());
      case ONLINE, OFFLINE -> ScriptExitCodes.waitCode(r.waitSeconds());
      case CLEAN -> r.isDone() ? ScriptExitCodes.CLEAN_SUCCESS : ScriptExitCodes.CLEAN_FAILURE;
      case MIGRATE -> r.isDone() ? ScriptExitCodes.migrateCode(r.waitSeconds()) : MIGRATE_FAILED;
      case ACTION -> r.isDone() ? 0 : 1;
      case OPEN, CLOSE, ATTR_CHANGED -> 0;
    };
  }

  private static int usage(PrintWriter err, String message) {
    err.println("havirt: " + message);
    err.flush();
    return HavirtMain.EXIT_USAGE;
  }
}
