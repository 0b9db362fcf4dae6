#!/usr/bin/env bash
# The main job on its embedded default: builds havirt if needed, starts a private libvirtd with
# libvirt's test driver (nothing of the host's libvirt is touched) and drives the demo guests of
# packaging/demo/main.cf with the real havirt command. Works on a fresh Debian 12 with Java 17
# and Maven (as root it installs the libvirt packages it needs). Cleans up after itself.
#
# It starts the agent daemon for node1, drives it with the havirt CLI over its socket, and shows
# detection of a guest destroyed behind the agent's back, the fault, and the split-brain guard.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

for p in libvirt-daemon libvirt-clients; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    [ "$(id -u)" -eq 0 ] || { echo "run-demo: $p is missing; run as root to install it" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvirt-daemon libvirt-clients >/dev/null
    break
  fi
done

dist=packaging/target/havirt
if [ ! -x "$dist/bin/havirt" ] || [ ! -d src-test/target/classes ] || [ -n "$(find . -path ./packaging/target -prune -o -name '*.java' -newer "$dist/lib" -print -quit)" ]; then
  echo "== building havirt"
  mvn -B -q -ntp install -DskipTests
fi

W=$(mktemp -d /tmp/havirt-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

# One private libvirtd (test driver) per demo node, node1 and node2, each under $W/<node>.
start_libvirtd() {
  local d=$W/$1
  mkdir -p "$d/run" "$d/nodrivers"
  cat > "$d/libvirtd.conf" <<CONF
unix_sock_dir = "$d/run"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$d/libvirtd.log"
CONF
  LIBVIRT_DRIVER_DIR="$d/nodrivers" libvirtd -f "$d/libvirtd.conf" -p "$d/libvirtd.pid" >"$d/libvirtd.out" 2>&1 &
  pids+=($!)
  local uri="test+unix:///default?socket=$d/run/libvirt-sock"
  for _ in $(seq 200); do virsh -q -c "$uri" uri >/dev/null 2>&1 && break; sleep 0.05; done
  # The test driver forgets everything when its last client leaves: keep one connected.
  virsh -c "$uri" event --loop --all >"$d/events.log" 2>&1 &
  pids+=($!)
}
echo "== starting private libvirtds (test driver) for node1 and node2 in $W"
mkdir -p "$W/sync" "$W/state"
start_libvirtd node1
start_libvirtd node2
export HAVIRT_LIBVIRT_URI="test+unix:///default?socket=$W/node1/run/libvirt-sock"
# How node1 reaches another node's libvirtd (%h = the node): used to migrate and to look at peers.
export HAVIRT_MIGRATE_URI="test+unix:///default?socket=$W/%h/run/libvirt-sock"
export HAVIRT_STATE_DIR="$W/state"
NODE2_URI="test+unix:///default?socket=$W/node2/run/libvirt-sock"

for g in demo-web demo-db; do
  cat > "$W/sync/$g.xml" <<XML
<domain type='test'><name>$g</name><memory unit='MiB'>256</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>
XML
done
echo "== starting the RHEV-M simulator (HTTPS, its own CA) with hosts node1, node2 and VM demo-erp"
simcp="src-test/target/classes:$(ls "$dist"/lib/*.jar | tr '\n' ':')"
java -cp "$simcp" org.havirt.testing.rhevm.RhevmSimulator --port 0 --dir "$W/rhevm" --password demo \
  --cluster Default --host node1 node2 --vm demo-erp >"$W/rhevm.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ "$(wc -l <"$W/rhevm.out")" -ge 2 ] && break; sleep 0.1; done
RHEVM_URL=$(sed -n 1p "$W/rhevm.out"); RHEVM_CA=$(sed -n 2p "$W/rhevm.out")
case $RHEVM_URL in https://*) ;; *) echo "the simulator did not start:"; cat "$W/rhevm.out"; exit 1 ;; esac
export HAVIRT_KEY_FILE="$W/havirt.key"
echo "== encrypting the RHEV-M password for main.cf (havirt encrypt; the key file is made on first use)"
RHEVM_PASSWORD=$(echo demo | "$dist/bin/havirt" encrypt --url "$RHEVM_URL" --user admin@internal)
echo "    RHEVMInfo.Password = $RHEVM_PASSWORD"
sed -e "s|@DEMO_DIR@|$W|g" -e "s|@RHEVM_URL@|$RHEVM_URL|g" -e "s|@RHEVM_CA@|$RHEVM_CA|g" \
  -e "s|@RHEVM_PASSWORD@|$RHEVM_PASSWORD|g" packaging/demo/main.cf > "$W/main.cf"
cp "$dist/conf/types.cf" "$dist/conf/KVMGuestTypes.cf" "$W/"

havirt() { "$dist/bin/havirt" "$@"; }
run() { echo "\$ havirt $*"; set +e; timeout 120 "$dist/bin/havirt" "$@"; echo "  (exit $?)"; set -e; }
export HAVIRT_SOCKET="$W/agent.sock" HAVIRT_LOG_DIR="$W/log"
mkdir -p "$HAVIRT_LOG_DIR"

echo "== the configuration"
run config check "$W/main.cf"
echo "== is node1 ready to run each VM? (havirtverify; the agent runs the same checks at open)"
verify() { echo "\$ havirtverify $*"; set +e; timeout 120 "$dist/bin/havirtverify" "$@"; echo "  (exit $?)"; set -e; }
verify web_vm -c "$W/main.cf" --sys node1
verify erp_vm -c "$W/main.cf" --sys node1
echo "== start the agent for node1 (it probes every guest and changes none)"
"$dist/bin/havirt" agent -c "$W/main.cf" --sys node1 >"$W/agent.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -S "$HAVIRT_SOCKET" ] && break; sleep 0.1; done
[ -S "$HAVIRT_SOCKET" ] || { echo "the agent did not start:"; cat "$W/agent.out"; exit 1; }
run status
echo "== watch the agent's events in the background"
timeout 120 "$dist/bin/havirt" watch >"$W/watch.out" 2>&1 &
pids+=($!)
echo "== bring the groups online (child first, as the engine would)"
run online db_vm
run online web_vm
run online erp_vm
echo "== someone destroys demo-web behind the agent's back (RestartLimit 0: FAULTED, the engine would fail over)"
echo "\$ virsh destroy demo-web"; virsh -q -c "$HAVIRT_LIBVIRT_URI" destroy demo-web
for _ in $(seq 100); do grep -q FAULTED "$W/watch.out" && break; sleep 0.05; done
run status
echo "== what havirt watch printed meanwhile"
sed 's/^/    /' "$W/watch.out"
echo "== the engine clears the fault and brings it back"
run clear web_vm
run online web_vm
echo "== split-brain guard: demo-db is started on node2 by hand; the agent refuses a second copy"
run offline db_vm
virsh -q -c "$NODE2_URI" define "$W/sync/demo-db.xml" >/dev/null
virsh -q -c "$NODE2_URI" start demo-db
run online db_vm
run status
echo "== the engine log ($HAVIRT_LOG_DIR/engine_A.log), last lines"
tail -n 6 "$HAVIRT_LOG_DIR/engine_A.log" | sed 's/^/    /'
echo "== done; stopping the agent (its guests keep running) and cleaning up"
