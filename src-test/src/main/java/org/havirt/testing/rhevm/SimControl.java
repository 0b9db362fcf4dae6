package org.havirt.testing.rhevm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Optional;

/**
 * The harness's side door, {@code /havirt-sim/...} on the simulator's own HTTPS port (loopback, no
 * authentication, never used by havirt): an out-of-process harness (a nemesis campaign) reads the
 * truth and injects faults through it, as a test in the same JVM does through {@link
 * RhevmSimulator#faults} and {@link SimModel}. Requests and answers are JSON.
 *
 * <ul>
 *   <li>{@code GET /havirt-sim/truth}: {@code {vms:[{name,status,host,copies}], hosts:[{name,
 *       status}], faults:{kind:count}}}, read from the model directly.
 *   <li>{@code GET /havirt-sim/actions?after=SEQ}: {@code {actions:[{seq, at, user, vm, action,
 *       vmStatus, vmHost, target, refused}]}}, the audit of API actions ({@link SimModel#actions}).
 *   <li>{@code POST /havirt-sim/faults} {@code {seed?, maxLatencyMillis, p5xx, pGarbage, pDrop,
 *       pRevoke}}: arms random API faults (a seed starts a new random sequence).
 *   <li>{@code POST /havirt-sim/heal}: disarms them.
 *   <li>{@code POST /havirt-sim/hosts/NAME/(crash|partition|heal|powerfence)}: host faults, see
 *       {@link SimModel}.
 *   <li>{@code POST /havirt-sim/vms/NAME/crash}: the guest dies by itself (the engine has it down).
 * </ul>
 *
 * Thread-safe (the model and {@link SimFaults} are).
 */
final class SimControl {
  private final RhevmSimulator sim;

  SimControl(RhevmSimulator sim) {
    this.sim = sim;
  }

  void handle(HttpExchange ex) throws IOException {
    try {
      String[] p = ex.getRequestURI().getPath().substring("/havirt-sim".length()).split("/");
      boolean post = ex.getRequestMethod().equals("POST");
      JsonNode body =
          post ? orEmpty(SimRoutes.JSON.readTree(ex.getRequestBody())) : SimRoutes.JSON.nullNode();
      if (p.length == 2 && p[1].equals("truth") && !post) {
        SimRoutes.send(ex, 200, truth());
      } else if (p.length == 2 && p[1].equals("actions") && !post) {
        String q = Optional.ofNullable(ex.getRequestURI().getQuery()).orElse("");
        long after = Long.parseLong(SimRoutes.form(q).getOrDefault("after", "0"));
        ArrayNode list = SimRoutes.JSON.createArrayNode();
        for (SimModel.Action a : sim.model.actions(after)) {
          list.addObject()
              .put("seq", a.seq())
              .put("at", a.atMillis())
              .put("user", a.user())
              .put("vm", a.vm())
              .put("action", a.action())
              .put("vmStatus", a.vmStatus())
              .put("vmHost", a.vmHost())
              .put("target", a.target())
              .put("refused", a.refused().orElse(""));
        }
        SimRoutes.send(ex, 200, SimRoutes.JSON.createObjectNode().set("actions", list));
      } else if (p.length == 2 && p[1].equals("faults") && post) {
        arm(body);
        SimRoutes.send(ex, 200, truth());
      } else if (p.length == 2 && p[1].equals("heal") && post) {
        sim.faults.heal();
        SimRoutes.send(ex, 200, truth());
      } else if (p.length == 4 && p[1].equals("hosts") && post) {
        Optional<SimModel.Host> h = sim.model.hostByName(p[2]);
        if (h.isEmpty()) {
          SimRoutes.send(ex, 404, SimRoutes.fault("Not Found", "no host " + p[2]));
          return;
        }
        switch (p[3]) {
          case "crash" -> sim.model.crashHost(h.get());
          case "partition" -> sim.model.partitionHost(h.get());
          case "heal" -> sim.model.healHost(h.get());
          case "powerfence" -> sim.model.powerFenceHost(h.get());
          default -> {
            SimRoutes.send(ex, 404, SimRoutes.fault("Not Found", "no host fault " + p[3]));
            return;
          }
        }
        SimRoutes.send(ex, 200, truth());
      } else if (p.length == 4 && p[1].equals("vms") && p[3].equals("crash") && post) {
        Optional<SimModel.Vm> v = sim.model.vmByName(p[2]);
        if (v.isEmpty()) {
          SimRoutes.send(ex, 404, SimRoutes.fault("Not Found", "no VM " + p[2]));
          return;
        }
        sim.model.crashVm(v.get());
        SimRoutes.send(ex, 200, truth());
      } else {
        SimRoutes.send(ex, 404, SimRoutes.fault("Not Found", "no control " + ex.getRequestURI()));
      }
    } catch (RuntimeException e) {
      SimRoutes.send(ex, 400, SimRoutes.fault("Bad Request", e.toString()));
    }
  }

  private static JsonNode orEmpty(JsonNode n) {
    return n == null || n.isMissingNode() ? SimRoutes.JSON.createObjectNode() : n;
  }

  private void arm(JsonNode b) {
    SimFaults f = b.has("seed") ? new SimFaults(b.path("seed").asLong()) : sim.faults;
    f.maxLatencyMillis = b.path("maxLatencyMillis").asLong(0);
    f.p5xx = b.path("p5xx").asDouble(0);
    f.pGarbage = b.path("pGarbage").asDouble(0);
    f.pDrop = b.path("pDrop").asDouble(0);
    f.pRevoke = b.path("pRevoke").asDouble(0);
    sim.faults = f;
  }

  private ObjectNode truth() {
    ObjectNode r = SimRoutes.JSON.createObjectNode();
    ArrayNode vms = r.putArray("vms");
    for (SimModel.VmTruth v : sim.model.vmTruth()) {
      vms.addObject()
          .put("name", v.name())
          .put("status", v.status())
          .put("host", v.host())
          .put("copies", v.copies());
    }
    ArrayNode hosts = r.putArray("hosts");
    for (SimModel.HostTruth h : sim.model.hostTruth()) {
      hosts.addObject().put("name", h.name()).put("status", h.status());
    }
    ObjectNode faults = r.putObject("faults");
    sim.faults.counts().forEach(faults::put);
    return r;
  }
}
