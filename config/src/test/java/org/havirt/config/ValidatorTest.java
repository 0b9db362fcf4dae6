package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTest {

  private static List<Diagnostic> validate(String text) {
    ConfigParser.ParseResult r = ConfigParser.parse("main.cf", text);
    assertThat(r.diagnostics()).as("syntax").isEmpty();
    return Validator.validate(List.of(r.file()));
  }

  private static List<String> errors(String text) {
    return validate(text).stream().filter(Diagnostic::isError).map(Diagnostic::toString).toList();
  }

  private static final String GROUP = "group g ( SystemList = { a = 0, b = 1 } )\n";

  @Test
  void aGoodKvmGuestIsClean() {
    assertThat(
            validate(
                GROUP
                    + """
        KVMGuest vm (
            GuestName = guest1
            SyncDir = "/shared/sync"
            DelayAfterGuestOnline = 10
            RHEVMInfo = { Enabled = 0 }
            MonitorInterval = 30
            Critical = 0
            GuestConfigFilePath@a = "/a.xml"
            GuestConfigFilePath@b = "/b.xml"
        )
        """))
        .isEmpty();
  }

  @Test
  void unknownTypeWithSuggestion() {
    assertThat(errors(GROUP + "KVMGuset vm ( GuestName = x )\n"))
        .containsExactly(
            "main.cf:2:1: error: unknown resource type 'KVMGuset' (did you mean 'KVMGuest'?): include the types.cf that defines it");
  }

  @Test
  void unknownAttributeWithSuggestion() {
    assertThat(errors(GROUP + "KVMGuest vm (\n GuestName = x\n DelayAfterGuestOnlin = 3\n)\n"))
        .containsExactly(
            "main.cf:4:2: error: resource 'vm' (KVMGuest) has no attribute 'DelayAfterGuestOnlin' (did you mean 'DelayAfterGuestOnline'?)");
  }

  @Test
  void wrongValueKinds() {
    assertThat(
            errors(
                GROUP
                    + """
        KVMGuest vm (
            GuestName = { a, b }
            DelayAfterGuestOnline = soon
            ResyncVMCfg = 2
            RHEVMInfo = enabled
            SupportedActions = single
        )
        """))
        .extracting(s -> s.substring(s.indexOf(": error: ") + 9))
        .containsExactly(
            "attribute 'GuestName' of resource 'vm' (KVMGuest) takes a single str value, not a list: write GuestName = value",
            "attribute 'DelayAfterGuestOnline' of resource 'vm' (KVMGuest) must be a whole number, not 'soon'",
            "attribute 'ResyncVMCfg' of resource 'vm' (KVMGuest) must be 0 or 1, not '2'",
            "attribute 'RHEVMInfo' of resource 'vm' (KVMGuest) is an association: write RHEVMInfo = { Key = value, … }, not a scalar",
            "attribute 'SupportedActions' of resource 'vm' (KVMGuest) is a keylist: write SupportedActions = { a, b }, not a scalar");
  }

  @Test
  void unknownAssociationKeysForEachClosedAssociation() {
    assertThat(
            errors(
                GROUP
                    + """
        KVMGuest vm (
            GuestName = x
            RHEVMInfo = { Enabled = 1, Passwd = abc, URL = "https://m" }
            DROpts = { ConfigureNetwork = 1, DNSServer = "1.2.3.4" }
            CEInfo = { Enabled = 0, Bogus = 1 }
        )
        """))
        .extracting(s -> s.substring(s.indexOf(": error: ") + 9))
        .containsExactly(
            "attribute 'RHEVMInfo' of resource 'vm' (KVMGuest) has no key 'Passwd' (did you mean 'Password'?); its keys are Enabled, URL, User, Password, Cluster, UseManualRHEVMFencing, CAFile",
            "attribute 'DROpts' of resource 'vm' (KVMGuest) has no key 'DNSServer' (did you mean 'DNSServers'?); its keys are ConfigureNetwork, IPAddress, Netmask, Gateway, DNSServers, DNSSearchPath, Device",
            "attribute 'CEInfo' of resource 'vm' (KVMGuest) has no key 'Bogus'; its keys are Enabled, CESystem, FaultOnHBLoss");
  }

  @Test
  void missingGuestName() {
    assertThat(errors(GROUP + "KVMGuest vm ( SyncDir = \"/s\" )\n"))
        .containsExactly(
            "main.cf:2:10: error: resource 'vm' has no GuestName: set it to the VM's name in libvirt or RHEV-M");
    assertThat(errors(GROUP + "KVMGuest vm ( GuestName = \"\" )\n")).hasSize(1);
  }

  @Test
  void duplicateNamesAndAttributes() {
    assertThat(
            errors(
                GROUP
                    + """
        KVMGuest vm ( GuestName = x GuestName = y )
        group h ( )
        KVMGuest vm ( GuestName = z )
        group g ( )
        """))
        .extracting(
            s ->
                s.substring(
                    s.indexOf(": error: ") + 9, s.indexOf(';') > 0 ? s.indexOf(';') : s.length()))
        .containsExactly(
            "resource 'vm' sets 'GuestName' twice",
            "resource 'vm' is defined twice",
            "group 'g' is defined twice");
  }

  @Test
  void globalAndPerSystemValuesDoNotMix() {
    assertThat(errors(GROUP + "KVMGuest vm ( GuestName = x GuestName@a = y )\n"))
        .singleElement()
        .satisfies(e -> assertThat(e).contains("both a global value and per-system values"));
    assertThat(validate(GROUP + "KVMGuest vm ( GuestName@zz = y )\n"))
        .singleElement()
        .satisfies(
            d -> assertThat(d.toString()).contains("warning").contains("not in the SystemList"));
  }

  @Test
  void danglingDependencies() {
    assertThat(
            errors(
                GROUP
                    + """
        KVMGuest vm ( GuestName = x )
        vm requires disk
        ghost requires vm
        requires group nowhere online local firm
        """))
        .extracting(s -> s.substring(s.indexOf(": error: ") + 9))
        .containsExactly(
            "there is no resource named 'disk'",
            "there is no resource named 'ghost'",
            "there is no group named 'nowhere'");
  }

  @Test
  void dependenciesDoNotCrossGroups() {
    assertThat(
            errors(
                GROUP
                    + """
        KVMGuest vm ( GuestName = x )
        group h ( )
        KVMGuest other ( GuestName = y )
        vm requires other
        """))
        .singleElement()
        .satisfies(e -> assertThat(e).contains("resource dependencies stay inside one group"));
  }

  @Test
  void resourceAndGroupCycles() {
    assertThat(
            errors(
                """
        group g ( )
        KVMGuest a ( GuestName = a )
        KVMGuest b ( GuestName = b )
        KVMGuest c ( GuestName = c )
        a requires b
        b requires c
        c requires a
        requires group h online local firm
        group h ( )
        requires group g online local firm
        """))
        .extracting(s -> s.substring(s.indexOf(": error: ") + 9))
        .containsExactly(
            "resource dependency cycle: a requires b requires c requires a",
            "group dependency cycle: g requires h requires g");
  }

  @Test
  void groupDependencyRules() {
    assertThat(
            errors(
                """
        group g ( )
        requires group h offline global firm
        requires group h online global hard
        h requires group h online local firm
        group h ( )
        requires group h online local firm
        """))
        .satisfiesExactly(
            e ->
                assertThat(e)
                    .contains("2:1")
                    .contains("an offline group dependency is always local"),
            e ->
                assertThat(e)
                    .contains("3:1")
                    .contains("a hard group dependency must be online local"),
            e -> assertThat(e).contains("4:1").contains("write it under the group that requires"),
            e -> assertThat(e).contains("6:16").contains("group 'h' cannot require itself"));
  }

  @Test
  void everyProblemInOneRunInFileOrder() {
    List<Diagnostic> d =
        validate(
            """
        group g ( )
        KVMGuset a ( GuestName = a )
        KVMGuest b ( Bogus = 1 )
        b requires nothing
        """);
    assertThat(d)
        .filteredOn(Diagnostic::isError)
        .extracting(x -> x.position().line())
        .containsExactly(2, 3, 3, 4);
  }

  @Test
  void ungroupedResourcesAreAWarning() {
    assertThat(validate("KVMGuest vm ( GuestName = x )\n"))
        .singleElement()
        .satisfies(d -> assertThat(d.isError()).isFalse());
  }

  @Test
  void typeDefinitionsAreCheckedToo() {
    assertThat(
            errors(
                """
        type T (
            int A = x
            str B
            str B
            str MonitorInterval
            str C{} = { a, b }
        )
        """))
        .extracting(s -> s.substring(s.indexOf(": error: ") + 9))
        .containsExactly(
            "attribute 'A' of type T must be a whole number, not 'x'",
            "type 'T' declares 'B' twice",
            "'MonitorInterval' is an agent framework attribute declared as int; type 'T' declares it as str",
            "attribute 'C' of type T is an association: write C = { Key = value, … }, not a list");
  }

  @Test
  void aConfigDefinedTypeWinsOverTheShippedOne() {
    assertThat(
            errors(
                "type KVMGuest ( str Other )\n"
                    + GROUP
                    + "KVMGuest vm ( Other = 1 GuestName = x )\n"))
        .singleElement()
        .satisfies(e -> assertThat(e).contains("no attribute 'GuestName'"));
  }
}
