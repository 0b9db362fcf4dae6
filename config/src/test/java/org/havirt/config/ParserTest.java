package org.havirt.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.havirt.config.ast.AssocValue;
import org.havirt.config.ast.Attribute;
import org.havirt.config.ast.AttributeDecl;
import org.havirt.config.ast.GroupDef;
import org.havirt.config.ast.GroupDependency;
import org.havirt.config.ast.Include;
import org.havirt.config.ast.ListValue;
import org.havirt.config.ast.ResourceDef;
import org.havirt.config.ast.ResourceDependency;
import org.havirt.config.ast.Scalar;
import org.havirt.config.ast.TypeDef;
import org.junit.jupiter.api.Test;

class ParserTest {

  private static ConfigParser.ParseResult parse(String text) {
    return ConfigParser.parse("main.cf", text);
  }

  private static ConfigParser.ParseResult clean(String text) {
    ConfigParser.ParseResult r = parse(text);
    assertThat(r.diagnostics()).isEmpty();
    return r;
  }

  @Test
  void readsEveryKindOfStatement() {
    ConfigParser.ParseResult r =
        clean(
            """
        include "types.cf"
        cluster c1 ( UserNames = { admin = xyz } Administrators = { admin } )
        system sysA ( )
        group g1 (
            SystemList = { sysA = 0, sysB = 1 }
        )
        KVMGuest vm1 (
            GuestName = guest1
            Device@sysA = eth0
            Device @sysB = eth1
        )
        Mount m1 ( MountPoint = "/m" )
        vm1 requires m1
        requires group g2 online global soft
        g1 requires group g3 offline local firm
        group g2 ( )
        group g3 ( )
        """);
    var s = r.file().statements();
    assertThat(s).hasSize(6);
    assertThat(((Include) s.get(0)).path()).isEqualTo("types.cf");
    GroupDef g1 = (GroupDef) s.get(3);
    assertThat(g1.resources()).extracting(ResourceDef::name).containsExactly("vm1", "m1");
    assertThat(g1.members()).hasSize(5);
    ResourceDef vm1 = g1.resources().get(0);
    assertThat(vm1.attributes())
        .extracting(Attribute::qualifiedName)
        .containsExactly("GuestName", "Device@sysA", "Device@sysB");
    assertThat(g1.members().get(2)).isInstanceOf(ResourceDependency.class);
    GroupDependency dep = (GroupDependency) g1.members().get(3);
    assertThat(dep.category()).isEqualTo(GroupDependency.Category.ONLINE);
    assertThat(dep.location()).isEqualTo(GroupDependency.Location.GLOBAL);
    assertThat(dep.rigidity()).isEqualTo(GroupDependency.Rigidity.SOFT);
    GroupDependency explicit = (GroupDependency) g1.members().get(4);
    assertThat(explicit.explicitParent()).contains("g1");
    assertThat(explicit.category()).isEqualTo(GroupDependency.Category.OFFLINE);
  }

  @Test
  void readsTypeDeclarationsOfEveryShape() {
    ConfigParser.ParseResult r =
        clean(
            """
        type T (
            static int IntentionalOffline = 1
            static keylist SupportedActions = { "a", b }
            static str ArgList[] = { A, B }
            str Info{} = { Enabled=0, Name=NONE }
            temp str Scratch
            boolean Flag = 0
            i18nstr Text = "x"
        )
        """);
    TypeDef t = (TypeDef) r.file().statements().get(0);
    assertThat(t.declarations())
        .extracting(AttributeDecl::dimension)
        .containsExactly(
            AttributeDecl.Dimension.SCALAR,
            AttributeDecl.Dimension.KEYLIST,
            AttributeDecl.Dimension.VECTOR,
            AttributeDecl.Dimension.ASSOCIATION,
            AttributeDecl.Dimension.SCALAR,
            AttributeDecl.Dimension.SCALAR,
            AttributeDecl.Dimension.SCALAR);
    assertThat(t.declarations().get(0).isStatic()).isTrue();
    assertThat(t.declarations().get(4).isTemp()).isTrue();
    assertThat(t.declaration("Info").orElseThrow().defaultValue().orElseThrow())
        .isInstanceOf(AssocValue.class);
  }

  @Test
  void aTypeOnOneLineParses() {
    TypeDef t =
        (TypeDef)
            clean("type T ( static int A = 1 str B int C = 5 str D{} = { K=1 } )")
                .file()
                .statements()
                .get(0);
    assertThat(t.declarations())
        .extracting(AttributeDecl::name)
        .containsExactly("A", "B", "C", "D");
  }

  @Test
  void valuesKeepQuotesEscapesAndSeparators() {
    ResourceDef r =
        (ResourceDef)
            clean(
                    """
        X x (
            A = "say \\"hi\\" \\\\ there"
            B = { a; b, c d }
            C = [ 1, 2 ]
            D = { k1 = v1 k2 = "v 2"; k3 = 3 }
            E = { }
            F = https://host:443/api
        )
        """)
                .file()
                .statements()
                .get(0);
    Scalar a = (Scalar) r.attributes().get(0).value();
    assertThat(a.text()).isEqualTo("say \"hi\" \\ there");
    assertThat(a.quoted()).isTrue();
    assertThat(((ListValue) r.attributes().get(1).value()).items())
        .extracting(Scalar::text)
        .containsExactly("a", "b", "c", "d");
    assertThat(((ListValue) r.attributes().get(2).value()).bracketed()).isTrue();
    AssocValue d = (AssocValue) r.attributes().get(3).value();
    assertThat(d.get("k2")).map(Scalar::text).contains("v 2");
    assertThat(d.entries()).hasSize(3);
    assertThat(((ListValue) r.attributes().get(4).value()).items()).isEmpty();
    assertThat(((Scalar) r.attributes().get(5).value()).text()).isEqualTo("https://host:443/api");
  }

  @Test
  void commentsAreKeptWhereTheyBelong() {
    ConfigParser.ParseResult r =
        clean(
            """
        // about the group
        group g (
            // about A
            A = 1 // why one
            /* block
               comment */
        )
        // resource dependency tree
        """);
    GroupDef g = (GroupDef) r.file().statements().get(0);
    assertThat(g.comments()).extracting(c -> c.text()).containsExactly("// about the group");
    Attribute a = g.attributes().get(0);
    assertThat(a.comments()).extracting(c -> c.text()).containsExactly("// about A");
    assertThat(a.trailing()).map(c -> c.text()).contains("// why one");
    assertThat(g.closingComments())
        .singleElement()
        .satisfies(c -> assertThat(c.text()).startsWith("/* block"));
    assertThat(r.file().trailingComments())
        .extracting(c -> c.text())
        .containsExactly("// resource dependency tree");
  }

  @Test
  void positionsAreLineAndColumn() {
    ConfigParser.ParseResult r = parse("group g (\n  A = 1\n  B 2\n)\n");
    assertThat(r.diagnostics())
        .singleElement()
        .hasToString(
            "main.cf:3:5: error: expected '=' after attribute 'B' in group 'g', found '2'");
  }

  @Test
  void reportsEverySyntaxErrorInOnePass() {
    ConfigParser.ParseResult r =
        parse(
            """
        group g (
            A =
        )
        KVMGuest vm1 (
            GuestName = x
            Bad Bad
        )
        requires group g2 sideways local firm
        ) stray
        """);
    // Line 9's stray ')' is skipped with the broken statement before it.
    assertThat(r.diagnostics()).extracting(d -> d.position().line()).containsExactly(3, 6, 8);
    // What could be read is still there.
    GroupDef g = (GroupDef) r.file().statements().get(0);
    assertThat(g.resources()).singleElement().satisfies(v -> assertThat(v.attributes()).hasSize(1));
  }

  @Test
  void aStrayClosingParenthesisIsReported() {
    assertThat(parse("group g ( )\n) stray\n").diagnostics())
        .singleElement()
        .satisfies(
            d -> assertThat(d.toString()).startsWith("main.cf:2:1: error: expected a statement"));
  }

  @Test
  void unclosedThingsAreNamedWithWhereTheyOpened() {
    assertThat(parse("group g (\n A = 1\n").diagnostics())
        .singleElement()
        .hasToString("main.cf:1:9: error: the '(' of group 'g' is never closed: expected ')'");
    assertThat(parse("X x (\n A = { a, b\n)\n").diagnostics())
        .singleElement()
        .satisfies(
            d -> assertThat(d.message()).isEqualTo("the '{' opened at line 2 is never closed"));
    assertThat(parse("/* never closed").diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("block comment"));
  }

  @Test
  void aGroupDependencyNeedsItsRigidityAndAGroup() {
    assertThat(parse("group g ( )\nrequires group h online local\n").diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).startsWith("expected 'soft', 'firm' or 'hard'"));
    assertThat(parse("requires group h online local firm\n").diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("must follow the group"));
    // VCS 4 form without a location means local.
    GroupDef g =
        (GroupDef) clean("group g ( )\nrequires group h online firm\n").file().statements().get(0);
    assertThat(((GroupDependency) g.members().get(0)).location())
        .isEqualTo(GroupDependency.Location.LOCAL);
  }

  @Test
  void mixedListAndAssociationIsAnError() {
    assertThat(parse("X x ( A = { a, b = c } )").diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("either a list"));
  }

  @Test
  void controlCharactersAreReported() {
    assertThat(parse("group g (\u0001)").diagnostics())
        .singleElement()
        .satisfies(d -> assertThat(d.message()).contains("U+0001"));
  }

  @Test
  void emptyAndCommentOnlyFilesAreFine() {
    assertThat(clean("").file().statements()).isEmpty();
    assertThat(clean("// nothing\n").file().trailingComments()).hasSize(1);
    assertThat(clean("\ufeff  \n\t\r\n").file().statements()).isEqualTo(List.of());
  }
}
