#!/bin/bash
# A two-node corosync + Pacemaker cluster on this one machine, for the end-to-end tests of
# ocf:havirt:KVMGuest next to ocf:heartbeat:VirtualDomain (docs/engines.md, "Two-node test").
#
#   lab.sh setup            build and start it (about 20 s)
#   lab.sh on NODE CMD...   run CMD inside node hvA or hvB
#   lab.sh restart_havirt NODE   restart NODE's agent as "systemctl restart havirt" would
#   lab.sh install_deb NODE      dpkg -i the built .deb inside NODE only (see node-init.sh)
#   lab.sh teardown         stop everything it started and delete it
#
# Each node (hvA 10.88.0.1, hvB 10.88.0.2) is a network namespace (a veth pair between them), a
# private mount namespace and a UTS namespace, held by an "anchor" process. Inside a node run its
# corosync, pacemakerd, libvirtd (QEMU driver, TCP for migration) and a havirt agent from
# packaging/target/havirt (or, once install_deb ran there, from the node's /usr/lib/havirt) under
# supervise.sh, which stands in for systemd (Restart=on-failure, RestartSec=2s, readiness).
# /usr, /etc and /var are overlays private to each node, so a dpkg run inside a node changes
# only that node. Everything lives under $LAB (default src-test/target/pacemaker-lab);
# no global file is changed. Needs root. Teardown stops only the processes the lab recorded or
# that sit in its own namespaces; nothing is killed by name.
#
# Pitfalls this works around (measured in ../shared/research/pacemaker-two-node.md):
# - /run must be private per node: resource agents keep their state files there, and a shared
#   /run makes both nodes believe they run the resource;
# - /dev/shm must be private: the Pacemaker CLI talks to its daemons through libqb shm files;
# - corosync's parser wants every "{" at the end of its own line;
# - VirtualDomain reads the domain name from the XML line by line: <name> on its own line;
# - the guests are havirt's test guest (org.havirt.testing.TestGuest: a Debian cloud kernel and
#   a busybox initramfs that honours the ACPI power button), so a stop is a real guest shutdown
#   and no agent needs force_stop. Its kernel and initramfs are copied into $LAB/shared/guest,
#   which both nodes' libvirtds and qemus see (setup checks it from inside each node): the
#   image's own cache might be under a path a node sees differently (/var/lib/libvirt, /run are
#   per node), and a rebuild of that cache must not pull the files from under a running guest;
# - libvirtd reports a dead qemu only once its zombie is reaped, and this machine's PID 1 may
#   reap late (seen: 1.3 s): each libvirtd runs under subreaper.py, which reaps at once, as
#   systemd does on a host.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
LAB=${LAB:-$top/src-test/target/pacemaker-lab}
DIST=${HAVIRT_DIST:-$top/packaging/target/havirt}
DEB_GLOB=$top/packaging/target/havirt_*_all.deb
REAPER=$top/src-test/src/main/resources/org/havirt/testing/subreaper.py
NODES=(hvA hvB)
declare -A IP=([hvA]=10.88.0.1 [hvB]=10.88.0.2)

log() { echo "[$(date +%T.%3N)] $*"; }
netns() { echo "havirt-$1"; }
anchor() { cat "$LAB/$1/anchor.pid"; }
on() { local n=$1; shift; nsenter -t "$(anchor "$n")" -n -m -u -- "$@"; }
# waitfor SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
waitfor() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || { echo "TIMEOUT waiting for: $*" >&2; return 1; }
    sleep 0.2
  done
}

start_corosync() {
  on "$1" sh -c 'corosync -f -c /etc/corosync/corosync.conf </dev/null >>/var/log/corosync/stdout.log 2>&1 & echo $! > /run/corosync.fg.pid'
}
start_libvirtd() {
  on "$1" env LIBVIRT_DRIVER_DIR="$LAB/drivers" sh -c "python3 '$REAPER' libvirtd -l \
      -f /etc/libvirt/libvirtd.conf -p /run/libvirtd.pid </dev/null >>/var/log/libvirt/stdout.log 2>&1 &"
  waitfor 30 on "$1" virsh -c qemu:///system uri
}
start_pacemaker() {
  # pacemaker-execd at debug level logs every finished operation, recurring monitors included:
  # the restart scenarios count the monitors that ran (and how they ended) from that log.
  on "$1" env PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none PCMK_debug=pacemaker-execd \
    sh -c 'pacemakerd </dev/null >>/var/log/pacemaker/stdout.log 2>&1 & echo $! > /run/pacemakerd.fg.pid'
}
# The agent this node runs: the build's, or the node's installed one after install_deb.
agent_bin() { cat "$LAB/$1/agent-bin" 2>/dev/null || echo "$DIST/bin/havirt"; }
# Starts the node's agent under supervise.sh, like "systemctl start havirt".
start_havirt() {
  local n=$1
  on "$n" env HAVIRT_LOG_DIR="$LAB/$n/havirt-log" sh -c "setsid '$here/supervise.sh' \
      '$LAB/$n/agent-events' /run/havirt/agent.sock '$(agent_bin "$n")' agent -c '$LAB/$n/main.cf' \
      --sys $n --libvirt-uri qemu:///system --migrate-uri 'qemu+tcp://%h/system' \
      --migrate-data-uri 'tcp://%h' --state-dir '$LAB/$n/havirt-state' \
      </dev/null >>'$LAB/$n/havirt-log/stdout.log' 2>&1 & echo \$! > /run/havirt-supervisor.pid"
}
# "systemctl stop havirt": TERM to the supervisor, which passes it on and does not restart;
# after TimeoutStopSec (30 s) the agent is killed.
stop_havirt() {
  local n=$1 s a
  s=$(cat "$LAB/$n/fs/run/havirt-supervisor.pid" 2>/dev/null) || return 0
  a=$(cat "$LAB/$n/fs/run/havirt-agent.pid" 2>/dev/null || true)
  kill -TERM "$s" 2>/dev/null || return 0
  if ! waitfor 30 sv_gone "$s"; then
    [ -z "$a" ] || kill -KILL "$a" 2>/dev/null || true
    waitfor 10 sv_gone "$s"
  fi
}
sv_gone() { ! kill -0 "$1" 2>/dev/null; }
# "systemctl restart havirt": stop, then start (what the package's postinst does on upgrade).
restart_havirt() { stop_havirt "$1"; start_havirt "$1"; }
# dpkg -i of the built .deb inside node $1 only: its /usr, /etc and /var are private overlays
# (node-init.sh), so dpkg's database, the installed files, the maintainer scripts' directories
# and the man-db trigger's cache change that node alone. The postinst's "systemctl try-restart"
# does nothing there (no systemd): the caller restarts the agent with restart_havirt.
install_deb() {
  local debs=($DEB_GLOB)
  [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "want one .deb, found: ${debs[*]}" >&2; return 2; }
  on "$1" dpkg -i "${debs[0]}"
}
quorate2() { on hvA corosync-quorumtool -s | grep -q 'Total votes: *2'; }
both_online() { on "$1" crm_mon -1 2>/dev/null | grep -Eq 'Online: \[ (hvA hvB|hvB hvA) \]'; }
# A node crash: SIGKILL every process in its namespace but the anchor (all were started here).
crash() {
  local a; a=$(anchor "$1")
  for p in $(ip netns pids "$(netns "$1")"); do [ "$p" = "$a" ] || kill -9 "$p" 2>/dev/null || true; done
}
# Brings a crashed node back: corosync, libvirtd, the havirt agent, then Pacemaker.
revive() {
  start_corosync "$1"; start_libvirtd "$1"; start_havirt "$1"; start_pacemaker "$1"
  waitfor 120 both_online "$1"
}

node_tree() {
  local n=$1 F=$LAB/$1/fs
  mkdir -p "$F"/{etc_corosync,var_lib_corosync,var_log_corosync,var_lib_libvirt,var_cache_libvirt,var_log_libvirt}
  mkdir -p "$LAB/$n/havirt-log" "$LAB/$n/havirt-state"
  # Where the guests' consoles go (guest_xml): libvirtd creates a console file before this directory.
  mkdir -p "$F/var_log_libvirt/qemu"
  cp -a /etc/corosync/uidgid.d "$F/etc_corosync/" 2>/dev/null || true
  cp -a /etc/libvirt "$F/etc_libvirt"
  install -d -m 755 -o hacluster -g haclient "$F/var_lib_pacemaker"
  install -d -m 750 -o hacluster -g haclient "$F"/var_lib_pacemaker/{cib,pengine,blackbox,cores}
  install -d -m 770 -o hacluster -g haclient "$F/var_log_pacemaker" "$F/var_log_pacemaker/bundles"
  install -d -m 755 "$F/run" "$F/run/libvirt" "$F/run/lock"
  install -d -m 1755 "$F/run/resource-agents"
  install -d -m 750 -o hacluster -g haclient "$F/run/crm"
  printf '127.0.0.1 localhost\n10.88.0.1 hvA\n10.88.0.2 hvB\n' >"$F/hosts"
  # The OCF agents this node sees: the system's, plus ocf:havirt:KVMGuest from the build.
  cp -a /usr/lib/ocf/resource.d "$F/ocf"
  mkdir -p "$F/ocf/havirt"
  ln -sfn "$DIST/ocf/KVMGuest" "$F/ocf/havirt/KVMGuest"
  printf '// resources come from Pacemaker (ocf:havirt:KVMGuest)\n' >"$LAB/$n/main.cf"
  # A pre-seeded CIB: a 2 s DC election instead of 20 s, no fencing (the split-brain scenario
  # needs that), and a two-node cluster keeps running without quorum.
  cibadmin --empty >"$LAB/$n/cib.xml"
  for kv in dc-deadtime=2s stonith-enabled=false no-quorum-policy=ignore; do
    CIB_file="$LAB/$n/cib.xml" crm_attribute --type crm_config --name "${kv%%=*}" --update "${kv#*=}"
  done
  CIB_file="$LAB/$n/cib.xml" cibadmin -C -o configuration -X \
    '<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-stickiness" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'
  install -o hacluster -g haclient -m 600 "$LAB/$n/cib.xml" "$F/var_lib_pacemaker/cib/cib.xml"
  cat >"$F/etc_corosync/corosync.conf" <<CONF
totem {
    version: 2
    cluster_name: havirtlab
    transport: knet
    crypto_cipher: none
    crypto_hash: none
}
nodelist {
    node {
        name: hvA
        nodeid: 1
        ring0_addr: 10.88.0.1
    }
    node {
        name: hvB
        nodeid: 2
        ring0_addr: 10.88.0.2
    }
}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
logging {
    to_stderr: no
    to_syslog: no
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    timestamp: hires
}
CONF
  cat >"$F/etc_libvirt/libvirtd.conf" <<CONF
listen_tls = 0
listen_tcp = 1
listen_addr = "${IP[$n]}"
tcp_port = "16509"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
unix_sock_group = "root"
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  cat >"$F/etc_libvirt/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
namespaces = [ ]
cgroup_controllers = [ ]
CONF
}

# The kernel and initramfs of the test guest: $HAVIRT_GUEST_KERNEL and $HAVIRT_GUEST_INITRD
# (PacemakerTwoNodeIT passes those of TestGuest.get()), else TestGuest's main builds or finds
# them (it needs src-test compiled: mvn package).
guest_image() {
  local k=${HAVIRT_GUEST_KERNEL:-} i=${HAVIRT_GUEST_INITRD:-} paths
  if [ -z "$k" ] || [ -z "$i" ]; then
    paths=$(cd "$top" && java -cp "$top/src-test/target/classes" org.havirt.testing.TestGuest) ||
      { echo "no test guest image (build src-test, fetch its packages: src-test/run-tests.sh)" >&2; return 2; }
    k=$(sed -n 1p <<<"$paths") i=$(sed -n 2p <<<"$paths")
  fi
  mkdir -p "$LAB/shared/guest"
  cp "$k" "$LAB/shared/guest/vmlinuz"
  cp "$i" "$LAB/shared/guest/initrd.gz"
}

# guest_xml NAME [CMDLINE_OPTION...]: the test guest's domain, in the shared directory both
# nodes read. Its serial console goes to /var/log/libvirt/qemu/NAME-console.log, a path each
# node has its own of (console() in scenarios.sh), appended to by every boot. <name> stays on
# its own line for VirtualDomain. The guest vmio also has a disk, at the same path on both
# nodes but on each node's own filesystem (io_disks in ioerror.sh), and stops on a failed write.
guest_xml() {
  local name=$1 disk=''
  shift
  if [ "$name" = vmio ]; then
    disk="<disk type='file' device='disk'>
      <driver name='qemu' type='raw' error_policy='stop'/>
      <source file='/var/lib/libvirt/images/vmio.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>"
  fi
  cat >"$LAB/shared/$name.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$LAB/shared/guest/vmlinuz</kernel>
    <initrd>$LAB/shared/guest/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet $*</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact' check='none'><model fallback='forbid'>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    $disk
    <serial type='file'><source path='/var/log/libvirt/qemu/$name-console.log' append='on'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

setup() {
  for n in "${NODES[@]}"; do
    if ip netns list | grep -qw "$(netns "$n")"; then teardown; break; fi
  done
  [ -x "$DIST/bin/havirt" ] || { echo "no havirt distribution at $DIST (mvn package)" >&2; exit 2; }
  rm -rf "$LAB"
  mkdir -p "$LAB/shared" "$LAB/drivers"
  cp "$here/node-init.sh" "$LAB/"
  # In every node, /usr, /etc and /var are overlays on the host's (see install_deb).
  for n in "${NODES[@]}"; do mkdir -p "$LAB/$n/overlay"/{usr,etc,var}/{upper,work}; done
  # Only the QEMU driver: the network, nwfilter and storage drivers would touch the host.
  ln -sf /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so "$LAB/drivers/"
  for n in "${NODES[@]}"; do node_tree "$n"; done
  guest_image
  guest_xml vmvd
  guest_xml vmhv
  # The I/O error scenario's guest writes 8 MiB to its disk once it is up (ioerror.sh).
  guest_xml vmio havirt.write=/dev/vda:8

  log "network namespaces"
  ip netns add "$(netns hvA)"
  ip netns add "$(netns hvB)"
  ip link add vA netns "$(netns hvA)" type veth peer name vB netns "$(netns hvB)"
  ip -n "$(netns hvA)" addr add 10.88.0.1/24 dev vA
  ip -n "$(netns hvB)" addr add 10.88.0.2/24 dev vB
  for n in "${NODES[@]}"; do ip -n "$(netns "$n")" link set lo up; done
  ip -n "$(netns hvA)" link set vA up
  ip -n "$(netns hvB)" link set vB up

  for n in "${NODES[@]}"; do
    setsid ip netns exec "$(netns "$n")" unshare -m -u --propagation private "$LAB/node-init.sh" "$LAB" "$n" \
      </dev/null >"$LAB/$n/anchor.log" 2>&1 &
  done
  for n in "${NODES[@]}"; do waitfor 10 test -s "$LAB/$n/anchor.pid"; done
  for n in "${NODES[@]}"; do waitfor 10 on "$n" test -d /run/crm; done

  log "corosync"
  for n in "${NODES[@]}"; do start_corosync "$n"; done
  waitfor 30 quorate2
  log "libvirtd, havirt agents, pacemaker"
  for n in "${NODES[@]}"; do start_libvirtd "$n"; start_havirt "$n"; start_pacemaker "$n"; done
  for n in "${NODES[@]}"; do waitfor 90 both_online "$n"; done
  for n in "${NODES[@]}"; do waitfor 60 on "$n" virsh -c qemu:///system version; done
  waitfor 30 on hvA virsh -c qemu+tcp://hvB/system version
  waitfor 30 on hvB virsh -c qemu+tcp://hvA/system version
  for n in "${NODES[@]}"; do waitfor 60 on "$n" "$DIST/bin/havirt" status; done
  # What each node's libvirtd (and the qemu it starts, in the same namespaces) sees of the guest.
  for n in "${NODES[@]}"; do
    on "$n" test -r "$LAB/shared/guest/vmlinuz" -a -r "$LAB/shared/guest/initrd.gz" ||
      { echo "node $n cannot read the test guest's kernel and initramfs in $LAB/shared/guest" >&2; exit 2; }
  done
  log "lab ready"
}

teardown() {
  local n p
  for n in "${NODES[@]}"; do
    p=$(cat "$LAB/$n/anchor.pid" 2>/dev/null || true)
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null || continue
    # Guests first (they outlive libvirtd), then every process of the node's namespace.
    for d in $(timeout 10 nsenter -t "$p" -n -m -u -- virsh -c qemu:///system list --name 2>/dev/null); do
      timeout 20 nsenter -t "$p" -n -m -u -- virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    done
  done
  for n in "${NODES[@]}"; do
    local ns; ns=$(netns "$n")
    if ip netns list | grep -qw "$ns"; then
      for p in $(ip netns pids "$ns"); do kill -TERM "$p" 2>/dev/null || true; done
      local end=$((SECONDS + 15))
      while [ -n "$(ip netns pids "$ns")" ] && ((SECONDS < end)); do sleep 0.2; done
      for p in $(ip netns pids "$ns"); do kill -KILL "$p" 2>/dev/null || true; done
      end=$((SECONDS + 5))
      while [ -n "$(ip netns pids "$ns")" ] && ((SECONDS < end)); do sleep 0.2; done
      ip netns del "$ns" || true
    fi
  done
  log "lab torn down"
}

case "${1:-}" in
  setup) setup ;;
  teardown) teardown ;;
  on) shift; on "$@" ;;
  crash | revive | start_havirt | stop_havirt | restart_havirt | install_deb | start_pacemaker | start_corosync | start_libvirtd) f=$1; shift; "$f" "$@" ;;
  lib) ;; # sourced by scenarios.sh
  *) echo "usage: lab.sh setup|teardown|on NODE CMD...|crash NODE|revive NODE" >&2; exit 2 ;;
esac
