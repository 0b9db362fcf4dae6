package org.havirt.agent.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** The admin commands that talk to a running agent over its socket. */
final class ClientCommands {
  /** The agent refused the request (no such resource, faulted, refused, bad request). */
  static final int EXIT_REFUSED = 2;

  /** The agent could not be reached. */
  static final int EXIT_UNREACHABLE = 3;

  private ClientCommands() {}

  /** What every client command shares: the socket, the call, and the exit codes. */
  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin SocketOption socket;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    @Override
    public Integer call() {
      try (AgentClient c = AgentClient.connect(socket.path())) {
        return run(c);
      } catch (AgentClient.Unreachable e) {
        err().println("havirt: " + e.getMessage());
        err().flush();
        return EXIT_UNREACHABLE;
      } finally {
        out().flush();
        err().flush();
      }
    }

    abstract int run(AgentClient c) throws AgentClient.Unreachable;

    /** Prints an error reply and returns its exit code, or returns -1 for a success reply. */
    int failed(JsonNode reply) {
      if (reply.path("ok").asBoolean(false)) {
        return -1;
      }
      JsonNode e = reply.path("error");
      err()
          .println(
              "havirt: "
                  + e.path("message").asText("the agent refused")
                  + " ("
                  + e.path("code").asText()
                  + ")");
      return EXIT_REFUSED;
    }

    /** Runs an entry-point op and prints "RES: EXEC reason -> STATE". */
    int entry(AgentClient c, ObjectNode req) throws AgentClient.Unreachable {
      JsonNode r = c.call(req);
      int code = failed(r);
      if (code >= 0) {
        return code;
      }
      JsonNode st = r.path("status");
      out()
          .println(
              req.path("resource").asText()
                  + ": "
                  + r.path("exec").asText().toUpperCase(java.util.Locale.ROOT)
                  + " "
                  + r.path("reason").asText()
                  + " -> "
                  + Status.stateText(st));
      if (r.has("output")) {
        out().println(r.path("output").asText());
      }
      return r.path("exec").asText().equals("done") ? 0 : 1;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the resources and their states.")
  static final class Status extends Base {
    @Parameters(arity = "0..1", paramLabel = "RESOURCE")
    String resource;

    @Option(names = "--json", description = "print the agent's JSON reply, for scripts")
    boolean json;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      ObjectNode req = c.newRequest("status");
      if (resource != null) {
        req.put("resource", resource);
      }
      JsonNode r = c.call(req);
      int code = failed(r);
      if (code >= 0) {
        return code;
      }
      if (json) {
        out().println(r.path("resources").toPrettyString());
        return 0;
      }
      String fmt = "%-20s %-9s %-22s %-10s %-8s %s%n";
      out().printf(fmt, "RESOURCE", "TYPE", "STATE", "FLAG", "BUSY", "REASON");
      for (JsonNode s : r.path("resources")) {
        out()
            .printf(
                fmt,
                s.path("name").asText(),
                s.path("type").asText(),
                stateText(s),
                s.path("flag").isNull() ? "-" : s.path("flag").asText(),
                s.path("busy").isNull() ? "-" : s.path("busy").asText(),
                s.path("reason").asText());
      }
      return 0;
    }

    static String stateText(JsonNode s) {
      String state = s.path("state").asText();
      return state.equals("ONLINE") ? state + " (" + s.path("confidence").asInt() + ")" : state;
    }
  }

  @Command(
      name = "online",
      mixinStandardHelpOptions = true,
      description = "Bring RESOURCE online here and wait until it settles.")
  static final class Online extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      return entry(c, c.newRequest("online").put("resource", resource));
    }
  }

  @Command(
      name = "offline",
      mixinStandardHelpOptions = true,
      description = "Shut RESOURCE down gracefully and wait until it settles.")
  static final class Offline extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      return entry(c, c.newRequest("offline").put("resource", resource));
    }
  }

  @Command(name = "monitor", mixinStandardHelpOptions = true, description = "Probe RESOURCE now.")
  static final class Monitor extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      return entry(c, c.newRequest("monitor").put("resource", resource));
    }
  }

  @Command(
      name = "clean",
      mixinStandardHelpOptions = true,
      description = "Force RESOURCE off (destroy).")
  static final class Clean extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Option(
        names = "--reason",
        defaultValue = "4",
        description = "VCS clean reason 0-5 (default ${DEFAULT-VALUE})")
    int reason;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      return entry(c, c.newRequest("clean").put("resource", resource).put("reason", reason));
    }
  }

  @Command(
      name = "migrate",
      mixinStandardHelpOptions = true,
      description = "Live-migrate RESOURCE to another system.")
  static final class Migrate extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Option(names = "--to", required = true, paramLabel = "SYSTEM")
    String target;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      return entry(c, c.newRequest("migrate").put("resource", resource).put("target", target));
    }
  }

  @Command(
      name = "action",
      mixinStandardHelpOptions = true,
      description = "Run a resource action (guestmigrated, vmconfigsync, DevScan).")
  static final class Action extends Base {
    @Parameters(index = "0", paramLabel = "RESOURCE")
    String resource;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Parameters(index = "2..*", paramLabel = "ARG")
    List<String> args = new ArrayList<>();

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      ObjectNode req = c.newRequest("action").put("resource", resource).put("name", name);
      args.forEach(req.putArray("args")::add);
      return entry(c, req);
    }
  }

  @Command(
      name = "clear",
      mixinStandardHelpOptions = true,
      description = "Clear FAULTED or ADMIN_WAIT on RESOURCE.")
  static final class Clear extends Base {
    @Parameters(paramLabel = "RESOURCE")
    String resource;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      JsonNode r = c.call(c.newRequest("clear").put("resource", resource));
      int code = failed(r);
      if (code >= 0) {
        return code;
      }
      out().println(resource + ": cleared -> " + Status.stateText(r.path("status")));
      return 0;
    }
  }

  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      description = "Print state changes as they happen (Ctrl-C to stop).")
  static final class Watch extends Base {
    @Option(names = "--json", description = "print the events as JSON lines")
    boolean json;

    @Override
    int run(AgentClient c) throws AgentClient.Unreachable {
      int code = failed(c.call(c.newRequest("subscribe")));
      if (code >= 0) {
        return code;
      }
      out().flush();
      c.events(
          e -> {
            if (json) {
              out().println(e.toString());
            } else {
              out()
                  .printf(
                      "%s #%d %s %s%s %s%n",
                      e.path("ts").asText(),
                      e.path("seq").asLong(),
                      e.path("resource").asText(),
                      Status.stateText(e),
                      e.path("flag").isNull() ? "" : " " + e.path("flag").asText(),
                      e.path("reason").asText());
            }
            out().flush();
          });
      return 0;
    }
  }
}
