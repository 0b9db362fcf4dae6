package org.havirt.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.havirt.agent.backend.Backends;
import org.havirt.config.ConfigModel;
import org.havirt.config.ResourceResolver;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.ResourceDef;
import org.havirt.types.Deadline;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.havirt.types.backend.SiteFailover;
import org.havirt.types.backend.VmBackend;
import org.havirt.types.backend.VmBackendFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code havirt trigger}: the RHEV disaster-recovery triggers of spec §7, for an engine's preonline
 * and postonline trigger scripts.
 */
@Command(
    name = "trigger",
    mixinStandardHelpOptions = true,
    description = "Run a disaster-recovery trigger (for an engine's trigger scripts).",
    subcommands = {TriggerCommand.PreOnlineRhev.class, TriggerCommand.PostOnlineRhev.class})
final class TriggerCommand {
  private TriggerCommand() {}

  /** The RHEV KVMGuest resources of {@code group}, resolved for {@code sys}. */
  static List<GuestSpec> rhevGuests(LoadedConfig cfg, GroupDef group, String sys) {
    List<GuestSpec> out = new ArrayList<>();
    for (ResourceDef r : group.resources()) {
      if (!r.type().equals("KVMGuest")) {
        continue;
      }
      cfg.resolver
          .resolve(r.name(), sys)
          .map(ResourceResolver.Resolved::spec)
          .filter(s -> s.associationKey("RHEVMInfo", "Enabled").orElse("0").trim().equals("1"))
          .ifPresent(out::add);
    }
    return out;
  }

  @Command(
      name = "preonline-rhev",
      mixinStandardHelpOptions = true,
      description = {
        "Before GROUP (a VM group) goes online at this site: make sure the RHEV datacenter's SPM",
        "runs in this site's RHEV cluster. A non_responsive SPM host here is fenced (manual",
        "confirmation); an SPM in the remote cluster is moved here by deactivating the remote",
        "hosts, waiting for the SPM, then re-activating them. Exit 0: go ahead and online the",
        "group; 1: the SPM did not move, do not online; 2: bad usage or configuration."
      })
  static final class PreOnlineRhev implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "GROUP", description = "the VM service group")
    String group;

    @Mixin ConfigOptions cfgOpts;
    @Mixin NodeOptions node;

    @Option(
        names = "--spm-wait",
        paramLabel = "SECONDS",
        defaultValue = "600",
        description = "how long to wait for the SPM to move here (default ${DEFAULT-VALUE})")
    long spmWait;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        Optional<LoadedConfig> cfg = LoadedConfig.load(cfgOpts.config, err);
        if (cfg.isEmpty()) {
          return HavirtMain.EXIT_USAGE;
        }
        Optional<GroupDef> g = cfg.get().model.group(group);
        if (g.isEmpty()) {
          err.println("havirt: no group named '" + group + "' in " + cfgOpts.config);
          return HavirtMain.EXIT_USAGE;
        }
        String sys = cfgOpts.system();
        Map<String, GuestSpec> sites = new LinkedHashMap<>();
        for (GuestSpec s : rhevGuests(cfg.get(), g.get(), sys)) {
          sites.putIfAbsent(
              s.associationKey("RHEVMInfo", "URL").orElse("")
                  + " "
                  + s.associationKey("RHEVMInfo", "Cluster").orElse(""),
              s);
        }
        if (sites.isEmpty()) {
          out.println("preonline-rhev " + group + ": no RHEV KVMGuest resources; nothing to do");
          return 0;
        }
        Map<String, String> settings = new HashMap<>(node.settings().values());
        settings.putIfAbsent("rhev.host", cfg.get().resolver.hypervisorOf(sys));
        try (Backends backends = new Backends(new VmBackendFactory.Settings(settings))) {
          for (GuestSpec s : sites.values()) {
            Optional<VmBackend> b = backends.forGuest(s);
            if (b.isEmpty() || !(b.get() instanceof SiteFailover site)) {
              err.println(
                  "havirt: the RHEV backend is not installed (have: " + backends.names() + ")");
              return HavirtMain.EXIT_USAGE;
            }
            Deadline d = Deadline.in(Duration.ofSeconds(spmWait + 120));
            try {
              String summary =
                  site.takeOverSite(
                      s,
                      Duration.ofSeconds(spmWait),
                      d,
                      line -> {
                        out.println("preonline-rhev " + group + ": " + line);
                        out.flush();
                      });
              out.println("preonline-rhev " + group + ": ready: " + summary);
            } catch (BackendException e) {
              err.println("havirt: preonline-rhev " + group + ": " + e.getMessage());
              return HavirtMain.EXIT_PROBLEM;
            }
          }
        }
        return 0;
      } finally {
        out.flush();
        err.flush();
      }
    }
  }

  @Command(
      name = "postonline-rhev",
      mixinStandardHelpOptions = true,
      description = {
        "After GROUP (the replication group) came online here: probe the KVMGuest resources of",
        "the groups that depend on it, through the running agent, so they can go online.",
        "Exit 0: every probe ran; 1: some probe failed; 2: bad usage; 3: the agent is down."
      })
  static final class PostOnlineRhev implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "GROUP", description = "the replication service group")
    String group;

    @Mixin ConfigOptions cfgOpts;
    @Mixin SocketOption socket;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        Optional<LoadedConfig> cfg = LoadedConfig.load(cfgOpts.config, err);
        if (cfg.isEmpty()) {
          return HavirtMain.EXIT_USAGE;
        }
        if (cfg.get().model.group(group).isEmpty()) {
          err.println("havirt: no group named '" + group + "' in " + cfgOpts.config);
          return HavirtMain.EXIT_USAGE;
        }
        List<String> resources = new ArrayList<>();
        for (GroupDef parent : parents(cfg.get().model, group)) {
          for (ResourceDef r : parent.resources()) {
            if (r.type().equals("KVMGuest")) {
              resources.add(r.name());
            }
          }
        }
        if (resources.isEmpty()) {
          out.println(
              "postonline-rhev " + group + ": no KVMGuest resource depends on it; nothing to do");
          return 0;
        }
        int code = 0;
        try (AgentClient c = AgentClient.connect(socket.path())) {
          for (String r : resources) {
            JsonNode reply = c.call(c.newRequest("monitor").put("resource", r));
            if (reply.path("ok").asBoolean(false)) {
              out.println(
                  "postonline-rhev "
                      + group
                      + ": probed "
                      + r
                      + " -> "
                      + ClientCommands.Status.stateText(reply.path("status")));
            } else {
              code = HavirtMain.EXIT_PROBLEM;
              err.println(
                  "havirt: postonline-rhev "
                      + group
                      + ": probe of "
                      + r
                      + " failed: "
                      + reply.path("error").path("message").asText());
            }
          }
        } catch (AgentClient.Unreachable e) {
          err.println("havirt: " + e.getMessage());
          return ClientCommands.EXIT_UNREACHABLE;
        }
        return code;
      } finally {
        out.flush();
        err.flush();
      }
    }

    /** The groups with a {@code requires group GROUP} dependency on {@code child}. */
    static List<GroupDef> parents(ConfigModel model, String child) {
      List<GroupDef> out = new ArrayList<>();
      for (ConfigModel.PlacedGroupDependency d : model.groupDependencies()) {
        if (!d.dependency().group().equals(child)) {
          continue;
        }
        Optional<String> parent =
            d.dependency().explicitParent().or(() -> d.parent().map(GroupDef::name));
        parent.flatMap(model::group).filter(g -> !out.contains(g)).ifPresent(out::add);
      }
      return out;
    }
  }
}
