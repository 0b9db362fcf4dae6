package org.havirt.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.havirt.agent.cli.HavirtMain;
import org.havirt.testing.rhevm.RhevmSimulator;
import org.havirt.types.PasswordCipher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code havirt trigger preonline-rhev / postonline-rhev} against the RHEV-M simulator. */
class RhevTriggerIT {
  @TempDir Path dir;
  RhevmSimulator sim;
  Path main;
  Path key;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    sim = new RhevmSimulator(dir.resolve("sim"), 0, "admin@internal", "pw");
    sim.model.stepMillis = 100;
    sim.model.addCluster("prod");
    sim.model.addCluster("dr");
    sim.model.addHost("h1", "prod"); // the SPM
    sim.model.addHost("d1", "dr");
    sim.model.addVm("erp", "prod");
    key = dir.resolve("havirt.key");
    String password = PasswordCipher.openOrCreate(key).encrypt("pw");
    main = dir.resolve("main.cf");
    Files.writeString(
        main,
        "system dr1 ( PhysicalServer = d1 )\n"
            + "group repl_grp ( SystemList = { dr1 = 0 } )\n"
            + "group vm_grp ( SystemList = { dr1 = 0 }\n  PreOnline = 1 )\n"
            + "  KVMGuest erp_vm ( GuestName = erp\n  DelayAfterGuestOnline = 1\n"
            + "    RHEVMInfo = { Enabled = 1, URL = \""
            + sim.url()
            + "\", User = \"admin@internal\", Password = "
            + password
            + ", Cluster = dr, CAFile = \""
            + sim.caPem()
            + "\" }\n"
            + "    DROpts = { ConfigureNetwork = 1, IPAddress = \"10.2.0.15\", Netmask = \"24\" } )\n"
            + "  requires group repl_grp online global firm\n");
  }

  @AfterEach
  void tearDown() {
    sim.close();
  }

  Run havirt(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = HavirtMain.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void preonlineMovesTheSpmToThisSiteThenSaysGo() {
    Run r =
        havirt(
            "trigger",
            "preonline-rhev",
            "vm_grp",
            "-c",
            main.toString(),
            "--sys",
            "dr1",
            "--key-file",
            key.toString(),
            "--spm-wait",
            "20");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("preonline-rhev vm_grp: the SPM is host h1 in the remote cluster prod (up)")
        .contains("preonline-rhev vm_grp: deactivated remote host h1")
        .contains("preonline-rhev vm_grp: re-activated remote host h1")
        .contains("preonline-rhev vm_grp: ready: the SPM is now host d1 in this cluster dr");
    assertThat(sim.model.spm("Default").orElseThrow().name).isEqualTo("d1");
  }

  @Test
  void preonlineOnAGroupWithoutRhevResourcesDoesNothing() {
    Run r = havirt("trigger", "preonline-rhev", "repl_grp", "-c", main.toString(), "--sys", "dr1");
    assertThat(r)
        .isEqualTo(
            new Run(0, "preonline-rhev repl_grp: no RHEV KVMGuest resources; nothing to do\n", ""));
    assertThat(havirt("trigger", "preonline-rhev", "nogroup", "-c", main.toString()).exit())
        .isEqualTo(2);
  }

  @Test
  void postonlineProbesTheVmGroupsThatDependOnTheReplicationGroup() throws Exception {
    Path socket = dir.resolve("agent.sock");
    Run down =
        havirt(
            "trigger",
            "postonline-rhev",
            "repl_grp",
            "-c",
            main.toString(),
            "--socket",
            socket.toString());
    assertThat(down.exit()).as("no agent").isEqualTo(3);
    assertThat(down.err()).contains("cannot reach the havirt agent");
    Map<String, String> node =
        Map.of("key.file", key.toString(), "state.dir", dir.resolve("state").toString());
    try (AgentDaemon daemon = TestDaemons.start(main, "dr1", socket, TestDaemons.me(), node)) {
      assertThat(daemon.managed()).isEqualTo(1);
      Run r =
          havirt(
              "trigger",
              "postonline-rhev",
              "repl_grp",
              "-c",
              main.toString(),
              "--socket",
              socket.toString());
      assertThat(r)
          .isEqualTo(new Run(0, "postonline-rhev repl_grp: probed erp_vm -> OFFLINE\n", ""));
    }
    assertThat(
            havirt(
                    "trigger",
                    "postonline-rhev",
                    "vm_grp",
                    "-c",
                    main.toString(),
                    "--socket",
                    socket.toString())
                .out())
        .isEqualTo("postonline-rhev vm_grp: no KVMGuest resource depends on it; nothing to do\n");
  }
}
