package org.havirt.backend.kvm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.havirt.types.backend.AttributeValue;
import org.havirt.types.backend.BackendException;
import org.havirt.types.backend.GuestSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward-only rule of {@link GuestFiles} (spec §6): two "nodes" are two GuestFiles with their
 * own state directories over one shared directory.
 */
class ForwardSyncTest {
  @TempDir Path dir;
  Path cfg;
  Path syncCopy;
  GuestSpec guest;

  static final String V1 = xml(1);
  static final String V2 = xml(2);
  static final String V4 = xml(4);

  static final String CHANGED_ELSEWHERE =
      "the file changed since this node last read or wrote it (another node or an administrator"
          + " wrote it); the definition here is not newer";

  static String xml(int vcpus) {
    return "<domain><name>vm1</name><vcpu>" + vcpus + "</vcpu></domain>";
  }

  @BeforeEach
  void setUp() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("shared"));
    Path sync = Files.createDirectories(shared.resolve("sync"));
    cfg = shared.resolve("vm1.xml");
    syncCopy = sync.resolve("vm1.xml");
    Map<String, AttributeValue> m = new HashMap<>();
    m.put("GuestName", new AttributeValue.Scalar("vm1"));
    m.put("GuestConfigFilePath", new AttributeValue.Scalar(cfg.toString()));
    m.put("SyncDir", new AttributeValue.Scalar(sync.toString()));
    guest = new GuestSpec("r", m);
    Files.writeString(cfg, V1);
  }

  private GuestFiles node(String name) {
    return new GuestFiles(dir.resolve(name));
  }

  /** What a start does: define from the file (nothing defined yet), then run. */
  private void definesAndRuns(GuestFiles node) throws Exception {
    node.synced(guest, node.definitionFor(guest).orElseThrow());
    node.ranHere(guest);
  }

  @Test
  void aNodeWritesBackWhatItRanWhenNobodyElseWroteSince() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    GuestFiles.Outcome out = a.writeBack(guest, V2, true);
    assertThat(out.written()).containsExactly(cfg, syncCopy);
    assertThat(out.skipped()).isEmpty();
    assertThat(cfg).hasContent(V2);
    assertThat(syncCopy).hasContent(V2);
  }

  @Test
  void theIssueScenarioNeverMovesTheFileBackwards() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a); // A runs V1, then crashes: nothing written, its record stays "ran"
    GuestFiles b = node("b");
    definesAndRuns(b);
    assertThat(b.writeBack(guest, V4, true).written()).containsExactly(cfg, syncCopy);

    GuestFiles aRestarted = node("a"); // the agent restarts: the record is on disk
    GuestFiles.Outcome clean = aRestarted.writeBack(guest, V1, true);
    assertThat(clean.written()).isEmpty();
    assertThat(clean.skipped())
        .containsExactly(cfg + ": " + CHANGED_ELSEWHERE, syncCopy + ": " + CHANGED_ELSEWHERE);
    assertThat(cfg).hasContent(V4);
    assertThat(syncCopy).hasContent(V4);

    // A's next start takes the shared file, and then A's write-backs move it forward again.
    assertThat(aRestarted.newerShared(guest, V1)).get().extracting(d -> d.xml()).isEqualTo(V4);
    aRestarted.synced(guest, aRestarted.newerShared(guest, V1).orElseThrow());
    assertThat(aRestarted.newerShared(guest, V4)).as("in step now").isEmpty();
    aRestarted.ranHere(guest);
    assertThat(aRestarted.writeBack(guest, xml(6), true).written()).hasSize(2);
    assertThat(cfg).hasContent(xml(6));
  }

  @Test
  void aNodeThatDidNotRunTheGuestSinceItsLastSyncWritesNothing() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    assertThat(a.writeBack(guest, V2, true).written()).hasSize(2);
    // Stopped; the administrator changes the local definition while it does not run here.
    GuestFiles.Outcome out = a.writeBack(guest, V4, true);
    assertThat(out.written()).isEmpty();
    assertThat(out.skipped()).hasSize(2).allMatch(s -> s.contains("has not run on this node"));
    assertThat(cfg).hasContent(V2);
    // Its own file unchanged since: the local definition is the newer one, and starts.
    assertThat(a.newerShared(guest, V4)).isEmpty();
    a.ranHere(guest);
    assertThat(a.writeBack(guest, V4, true).written()).hasSize(2);
    assertThat(cfg).hasContent(V4);
  }

  @Test
  void aNodeWithoutARecordProvesNothingUntilItsDefinitionMatches() throws Exception {
    GuestFiles upgraded = node("old");
    upgraded.ranHere(guest); // it ran here, but it never recorded what it read
    GuestFiles.Outcome out = upgraded.writeBack(guest, V2, true);
    assertThat(out.written()).as("the sync copy is absent: nothing to overwrite").hasSize(1);
    assertThat(out.skipped())
        .containsExactly(
            cfg
                + ": this node has no record of reading or writing this file, so it cannot tell"
                + " whether the definition here is newer");
    assertThat(cfg).hasContent(V1);
    // At a start, the shared file wins over a local definition it cannot place ...
    assertThat(upgraded.newerShared(guest, V2)).isPresent();
    // ... and a local definition equal to it puts the node in step.
    assertThat(upgraded.newerShared(guest, V1)).isEmpty();
    upgraded.ranHere(guest);
    assertThat(upgraded.writeBack(guest, V4, false).written()).contains(cfg);
  }

  @Test
  void eachFileIsJudgedOnItsOwn() throws Exception {
    GuestFiles a = node("a");
    Files.writeString(syncCopy, V1);
    definesAndRuns(a);
    Files.writeString(syncCopy, V2); // someone else wrote the SyncDir copy only
    GuestFiles.Outcome out = a.writeBack(guest, V4, true);
    assertThat(out.written()).containsExactly(cfg);
    assertThat(out.skipped()).singleElement().asString().startsWith(syncCopy + ": ");
    assertThat(syncCopy).hasContent(V2);
  }

  @Test
  void aFileAlreadyHoldingTheDefinitionNeedsNoWriteAndPutsTheNodeInStep() throws Exception {
    GuestFiles a = node("a");
    Files.writeString(syncCopy, V2);
    Files.writeString(cfg, V2);
    a.ranHere(guest);
    GuestFiles.Outcome out = a.writeBack(guest, V2, true);
    assertThat(out.written()).isEmpty();
    assertThat(out.skipped()).isEmpty();
    a.ranHere(guest);
    assertThat(a.writeBack(guest, V4, true).written()).hasSize(2);
  }

  @Test
  void stillRunningKeepsTheRightToWriteStoppedEndsIt() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    assertThat(a.writeBack(guest, V2, false).written()).hasSize(2); // ResyncVMCfg while running
    assertThat(a.writeBack(guest, V4, true).written()).hasSize(2); // then the offline
    assertThat(a.writeBack(guest, xml(6), true).written()).isEmpty();
    assertThat(cfg).hasContent(V4);
  }

  @Test
  void pushWritesWhatRunsHereOverAFileChangedElsewhere() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    Files.writeString(cfg, V2);
    assertThat(a.writeBack(guest, V4, false).written()).containsExactly(syncCopy);
    assertThat(a.push(guest, V4)).containsExactly(cfg);
    assertThat(cfg).hasContent(V4);
    assertThat(a.writeBack(guest, xml(6), true).written()).as("in step after the push").hasSize(2);
  }

  @Test
  void aSharedFileUnchangedSinceTheLastSyncNeverReplacesTheLocalDefinition() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    assertThat(a.newerShared(guest, V4)).isEmpty();
    assertThat(node("a").newerShared(guest, V4)).as("after an agent restart too").isEmpty();
    assertThat(node("b").newerShared(guest, V4)).as("another node has no record").isPresent();
  }

  @Test
  void anUnreadableRecordCountsAsNone() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    Files.writeString(dir.resolve("a/config-sync/vm1"), "base.\\u00zz=broken\n");
    assertThat(node("a").newerShared(guest, V4)).isPresent();
  }

  @Test
  void aReplacedDefinitionIsKeptOwnerOnly() throws Exception {
    Path copy = node("a").keepCopy("vm1", V1);
    assertThat(copy).hasContent(V1).hasParent(dir.resolve("a/kept"));
    assertThat(copy.getFileName().toString()).startsWith("vm1.").endsWith(".xml");
    assertThat(
            java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(copy)))
        .isEqualTo("rw-------");
  }

  @Test
  void aMissingConfigFileLeavesTheLocalDefinitionAndAnInvalidOneRefusesTheStart() throws Exception {
    GuestFiles a = node("a");
    definesAndRuns(a);
    Files.delete(cfg);
    assertThat(a.newerShared(guest, V4)).isEmpty();
    assertThat(a.writeBack(guest, V4, true).written()).as("recreated").contains(cfg);
    Files.writeString(cfg, "<domain><name>vm1</name");
    assertThatThrownBy(() -> a.newerShared(guest, V4))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(BackendException.Kind.MISCONFIGURED);
              assertThat(e.getMessage()).contains("is not a valid domain XML");
            });
  }

  @Test
  void aGuestWithoutSharedFilesLeavesNoRecordAndAnUnusableStateDirFailsNothing() throws Exception {
    GuestSpec bare = new GuestSpec("r", Map.of("GuestName", new AttributeValue.Scalar("vm1")));
    GuestFiles a = node("a");
    a.ranHere(bare);
    assertThat(a.writeBack(bare, V1, true))
        .isEqualTo(new GuestFiles.Outcome(java.util.List.of(), java.util.List.of()));
    assertThat(dir.resolve("a")).doesNotExist();

    Path notADir = Files.writeString(dir.resolve("blocked"), "");
    GuestFiles b = new GuestFiles(notADir);
    b.synced(guest, b.definitionFor(guest).orElseThrow()); // logged, not thrown
    b.ranHere(guest); // logged, not thrown
    GuestFiles.Outcome out = b.writeBack(guest, V4, true);
    assertThat(out.written()).as("nothing recorded, nothing proven").isEmpty();
    assertThat(cfg).hasContent(V1);
  }
}
