package org.havirt.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManPagesTest {
  private final Map<String, String> pages = ManPages.pages("9.9");

  @Test
  void onePagePerCommandAndSubcommand() {
    assertThat(pages)
        .containsKeys(
            "havirt",
            "havirt-agent",
            "havirt-status",
            "havirt-migrate",
            "havirt-config",
            "havirt-trigger",
            "havirtverify")
        .doesNotContainKey("havirt-help");
  }

  @Test
  void agentPageDocumentsItsOptionsAndExitCodes() {
    String agent = pages.get("havirt-agent");
    assertThat(agent)
        .startsWith(".TH HAVIRT-AGENT 1 \"\" \"havirt 9.9\"")
        .contains(".SH NAME\nhavirt\\-agent \\- ")
        .contains("\\fB\\-\\-libvirt\\-uri\\fR \\fIURI\\fR")
        .contains(".SH SEE ALSO\n\\fBhavirt\\fR(1)");
    assertThat(pages.get("havirt")).contains(".SH COMMANDS\n.TP\n.B agent\n");
    assertThat(pages.get("havirtverify")).contains(".SH EXIT STATUS").contains("\\-\\-json");
  }

  @Test
  void theRhevCaFileIsOnEveryPageThatTakesNodeSettings() {
    // docs/rhev.md sends users to these pages for the node-wide RHEV-M CA.
    for (String page : List.of("havirt-agent", "havirt-invoke", "havirtverify")) {
      assertThat(pages.get(page))
          .as(page)
          .contains("\\fB\\-\\-rhev\\-ca\\-file\\fR \\fIFILE\\fR")
          .contains("HAVIRT_RHEV_CA_FILE");
    }
  }

  @Test
  void troffRequestsInTextAreEscaped() {
    assertThat(ManPages.escape(".hidden request")).isEqualTo("\\&.hidden request");
    assertThat(ManPages.escape("'quote")).isEqualTo("\\&'quote");
    assertThat(ManPages.escape("C:\\path --x")).isEqualTo("C:\\epath \\-\\-x");
  }
}
