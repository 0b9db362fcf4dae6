#!/usr/bin/env bash
# A nemesis campaign against real havirt agents (docs/reliability.md).
#
#   src-test/nemesis/run.sh [--seed S] [--minutes M] [--nodes 1|2] [--backend kvm|rhev|both]
#                           [--dir DIR] [--report FILE]
#
# Runs random schedules of faults and engine operations from the seed (the same seed plans the
# same schedules), with an observer that checks the invariants all along. Ends with one line:
#   nemesis: <schedules> schedules, <faults> faults, <ops> engine operations, <violations> violations (seed S)
# Exit status 0 only with 0 violations; a violation prints the seed, the invariant and the last
# 100 events as it happens. Everything (every event, each agent's logs) stays under --dir
# (default: a new directory under /tmp). --backend kvm (the default) runs the KVM lanes, rhev the
# RHEV lane against the RHEV-M simulator (its faults included), both the two side by side. The
# QEMU lane needs root; without it the KVM side runs only the test-driver lane. Builds havirt first if packaging/target/havirt is missing
# (NEMESIS_REBUILD=1 forces it).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ ! -x packaging/target/havirt/bin/havirt ] || [ ! -f src-test/target/classes/org/havirt/nemesis/Campaign.class ] \
  || [ -n "${NEMESIS_REBUILD:-}" ]; then
  mvn -B -q -ntp -pl packaging,src-test -am package -DskipTests -Dspotless.check.skip=true
fi
dist=$top/packaging/target/havirt
cp="src-test/target/classes:$(ls "$dist"/lib/*.jar | tr '\n' ':')"
exec java -XX:+UseSerialGC -Xmx384m -cp "$cp" -Dhavirt.dist="$dist" org.havirt.nemesis.Campaign "$@"
