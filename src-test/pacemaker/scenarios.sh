#!/bin/bash
# The end-to-end scenarios on the two-node lab (lab.sh setup first), for one resource agent:
#   scenarios.sh havirt          ocf:havirt:KVMGuest, guest vmhv
#   scenarios.sh virtualdomain   ocf:heartbeat:VirtualDomain, guest vmvd
#   scenarios.sh AGENT failover N   only start, N kill -9 trials (the failover benchmark), stop
#   scenarios.sh havirt restarts    only start, the agent restart scenarios, stop
#   scenarios.sh havirt ioerror     only the I/O error failover (ioerror.sh)
#   scenarios.sh havirt ioerror-agent-down   the same, hvA's agent down while the guest pauses
#                                   (by hand; see ioerror.sh)
#   scenarios.sh AGENT first-start N   N first starts (the first-start benchmark): each creates
#                                   the primitive, times it until the guest runs, then stops,
#                                   deletes and forgets it everywhere (Pacemaker, the havirt
#                                   agents, libvirt), so every trial is a first start
# Both get the same QEMU TCG guest (havirt's test guest, which boots a real kernel and powers off
# on the ACPI power button, lab.sh), the same operations (monitor every 5 s) and
# allow-migrate=true, and neither sets force_stop: a stop is the guest's own shutdown. So their
# timings compare. Prints "RESULT key value" lines, which PacemakerTwoNodeIT checks and
# tabulates; every wait polls with a deadline.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lab.sh" lib
set +e

kind=${1:?usage: scenarios.sh havirt|virtualdomain [failover|first-start TRIALS|restarts|ioerror]}
mode=${2:-all}
trials=${3:-10}
case $kind in
  havirt) rsc=hv guest=vmhv ;;
  virtualdomain) rsc=vd guest=vmvd ;;
  *) echo "unknown agent $kind" >&2; exit 2 ;;
esac

now() { date +%s%3N; }
since() { local d=$(($(now) - $1)); printf '%d.%02d' $((d / 1000)) $((d % 1000 / 10)); }
result() { echo "RESULT $*"; }
phase() { echo "== $kind: $* ($(date +%T.%3N))"; }
other() { [ "$1" = hvA ] && echo hvB || echo hvA; }
# until_ok SECONDS CMD...: poll CMD every 0.1 s until it succeeds; false at the deadline.
until_ok() {
  local end=$(($(now) + $1 * 1000)); shift
  until "$@" >/dev/null 2>&1; do (($(now) < end)) || return 1; sleep 0.1; done
}
# The node Pacemaker says runs the resource, asked on node $1 (default: any live node).
where() { on "${1:-hvA}" crm_resource --locate -r "$rsc" 2>/dev/null | sed -n 's/.*is running on: \([^ ]*\).*/\1/p' | head -1; }
located() { [ "$(where "${2:-$1}")" = "$1" ]; }
state() { on "$1" virsh -c qemu:///system domstate "$guest" --reason 2>/dev/null | head -1; }
running() { case "$(state "$1")" in running*) return 0 ;; *) return 1 ;; esac; }
qpid() { cat "$LAB/$1/fs/run/libvirt/qemu/$guest.pid" 2>/dev/null; }
settle() { on "${1:-hvA}" crm_resource --wait --timeout 120s >/dev/null 2>&1; }
cleanup() { on "${1:-hvA}" crm_resource --cleanup -r "$rsc" >/dev/null 2>&1; settle "${1:-hvA}"; }
placed() { [ -n "$(where)" ]; }
at_most_one() { [ "$(copies)" -le 1 ]; }
copies() { local c=0 n; for n in "${NODES[@]}"; do running "$n" && c=$((c + 1)); done; echo $c; }
pcmk_pids() { local p; p=$(cat "$LAB/$1/fs/run/pacemakerd.fg.pid"); echo "$p" $(ps -o pid= --ppid "$p"); }
failed_start() { on "$1" crm_mon -1 2>/dev/null | grep -q "$rsc start on $1 returned"; }
restarted() { local p; p=$(qpid "$1"); [ -n "$p" ] && [ "$p" != "$2" ] && running "$1"; }
moved() { located "$1" && running "$1" && ! kill -0 "$2" 2>/dev/null; }
failed_over() { located "$1" "$1" && running "$1"; }
stopped() { ! running hvA && ! running hvB && ! placed; }
second_copy_or_refused() { running "$1" || failed_start "$1"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The guest's serial console on node $1 (appended to by every boot there) and libvirt's log of
# its qemu there ("starting up", "shutting down, reason=...", with libvirt's timestamps).
console() { echo "$LAB/$1/fs/var_log_libvirt/qemu/$guest-console.log"; }
qemu_log() { echo "$LAB/$1/fs/var_log_libvirt/qemu/$guest.log"; }
# Lines of file $1 after byte offset $2.
after() { tail -c +"$(($2 + 1))" "$1" 2>/dev/null; }
# mark_boot: remembers where each node's console ends before an action that boots the guest;
# booted NODE: the guest has since said "ready" there (its acpid listens: a stop is a shutdown).
# A stop is only sent to a booted guest: one still booting would not see the power button.
declare -A boot_off
mark_boot() { local n; for n in "${NODES[@]}"; do boot_off[$n]=$(size "$(console "$n")"); done; }
booted() { after "$(console "$1")" "${boot_off[$1]:-0}" | grep -q 'havirt-guest: ready'; }
until_booted() { local n; n=$(where) && [ -n "$n" ] && until_ok "${1:-120}" booted "$n"; }

primitive() {
  local params
  if [ "$kind" = havirt ]; then
    params="<nvpair id=\"$rsc-gn\" name=\"GuestName\" value=\"$guest\"/>
      <nvpair id=\"$rsc-cf\" name=\"GuestConfigFilePath\" value=\"$LAB/shared/$guest.xml\"/>"
    echo "<primitive id=\"$rsc\" class=\"ocf\" provider=\"havirt\" type=\"KVMGuest\">"
  else
    params="<nvpair id=\"$rsc-cf\" name=\"config\" value=\"$LAB/shared/$guest.xml\"/>
      <nvpair id=\"$rsc-hv\" name=\"hypervisor\" value=\"qemu:///system\"/>
      <nvpair id=\"$rsc-mt\" name=\"migration_transport\" value=\"tcp\"/>
      <nvpair id=\"$rsc-mu\" name=\"migrateuri\" value=\"tcp://%n\"/>"
    echo "<primitive id=\"$rsc\" class=\"ocf\" provider=\"heartbeat\" type=\"VirtualDomain\">"
  fi
  cat <<XML
  <instance_attributes id="$rsc-ia">
      $params
  </instance_attributes>
  <meta_attributes id="$rsc-meta"><nvpair id="$rsc-am" name="allow-migrate" value="true"/>${META:-}</meta_attributes>
  <operations>
    <op id="$rsc-start" name="start" interval="0s" timeout="90s"/>
    <op id="$rsc-stop" name="stop" interval="0s" timeout="90s"/>
    <op id="$rsc-mon" name="monitor" interval="5s" timeout="30s"/>
    <op id="$rsc-mto" name="migrate_to" interval="0s" timeout="120s"/>
    <op id="$rsc-mfr" name="migrate_from" interval="0s" timeout="120s"/>
  </operations>
</primitive>
XML
}

# Forgets the resource everywhere after a first-start trial: stopped, deleted from the CIB (its
# history with it), undefined in libvirt, and (havirt) deleted from both nodes' agents, so the
# next trial starts from nothing, as the first one did.
forget() {
  local n
  until_booted || echo "== $kind: the guest did not boot" >&2
  on hvA crm_resource -r "$rsc" --meta -p target-role -v Stopped >/dev/null 2>&1
  until_ok 120 stopped || echo "== $kind: the guest did not stop" >&2
  settle
  on hvA cibadmin --delete -o resources --xml-text "<primitive id=\"$rsc\"/>" >/dev/null 2>&1
  settle
  for n in "${NODES[@]}"; do
    on "$n" crm_resource --cleanup -r "$rsc" >/dev/null 2>&1
    on "$n" virsh -c qemu:///system undefine "$guest" >/dev/null 2>&1
    if [ "$kind" = havirt ]; then
      on "$n" python3 -c 'import sys, time; sys.path.insert(0, sys.argv[1])
from havirt_client import Agent
r = Agent("/run/havirt/agent.sock", time.monotonic() + 30).call("delete", resource=sys.argv[2])
sys.exit(0 if r.get("ok") or (r.get("error") or {}).get("code") == "no_such_resource" else 1)' \
        "$DIST/python" "$rsc" || echo "== $kind: the agent on $n did not forget $rsc" >&2
    fi
  done
  settle
}

# A finer poll than until_ok's: the first start is under a second, and both agents are timed the
# same way (placed by Pacemaker, then running there per libvirt).
started() { local n; n=$(where) && [ -n "$n" ] && running "$n"; }
until_started() {
  local end=$(($(now) + $1 * 1000))
  until started; do (($(now) < end)) || return 1; sleep 0.02; done
}

source "$here/restarts.sh"
source "$here/ioerror.sh"

if [ "$mode" = ioerror ] || [ "$mode" = ioerror-agent-down ]; then
  [ "$mode" = ioerror ] || IO_AGENT_DOWN=1
  io_failover
  phase "done"
  exit 0
fi

if [ "$mode" = first-start ]; then
  for i in $(seq "$trials"); do
    phase "first start trial $i"
    mark_boot
    t=$(now)
    on hvA cibadmin --create -o resources --xml-text "$(primitive)"
    if until_started 120; then result first-start-trial "$(since "$t")"; else result first-start-trial FAILED; fi
    settle
    forget
  done
  phase "done"
  exit 0
fi

phase "start"
mark_boot
t=$(now)
on hvA cibadmin --create -o resources --xml-text "$(primitive)"
if until_ok 120 placed && n=$(where) && until_ok 60 running "$n"; then
  result start "$(since "$t")"
else
  result start FAILED
fi
settle

kill_trial() {
  local n p t
  n=$(where); p=$(qpid "$n")
  mark_boot
  t=$(now); kill -9 "$p"
  if until_ok 120 restarted "$n" "$p"; then result "$1" "$(since "$t")"; else result "$1" FAILED; fi
  settle; cleanup
}

if [ "$mode" = restarts ]; then
  agent_restarts
elif [ "$mode" = failover ]; then
  for i in $(seq "$trials"); do
    phase "failover trial $i"
    kill_trial failover-trial
  done
else
# Only havirt has a daemon of its own to restart; VirtualDomain has no equivalent.
[ "$kind" != havirt ] || agent_restarts

phase "kill -9 of the guest's qemu"
kill_trial restart-after-kill

phase "crm_resource --move (live migration)"
# A booted guest moves (its console goes on on the target, where clean stop's shutdown finds it).
until_booted || echo "== $kind: the guest did not boot" >&2
s=$(where); d=$(other "$s"); p=$(qpid "$s")
t=$(now); on hvA crm_resource --move -r "$rsc" -N "$d" >/dev/null 2>&1
if until_ok 120 moved "$d" "$p"; then
  result live-migration "$(since "$t")"
  result live-migration-state "$(state "$d" | tr ' ' '_')"
else
  result live-migration FAILED
fi
on hvA crm_resource --clear -r "$rsc" >/dev/null 2>&1; settle

# The guest's node leaves the cluster while its guest, libvirtd and havirt agent keep running.
# Killing Pacemaker alone left the outcome to a race in Pacemaker: its scheduler sometimes ran
# before the node's controller was known gone and then waited for a recheck (15 min), so no
# start was tried within a minute (seen once for each agent). Killing corosync too makes the
# node's loss certain at once.
phase "split brain: fencing disabled, the guest's node cut off (corosync and pacemaker killed)"
s=$(where); d=$(other "$s")
t=$(now); kill -9 $(pcmk_pids "$s") $(cat "$LAB/$s/fs/run/corosync.fg.pid")
until_ok 60 second_copy_or_refused "$d"
if running "$d"; then
  result split-brain-second-copy yes "$(since "$t")"
elif failed_start "$d"; then
  result split-brain-second-copy no
  result split-brain-refused "$(since "$t")"
  result split-brain-reason "$(on "$d" crm_mon -1 2>/dev/null | grep "$rsc start on $d returned" | sed 's/.*returned//' | tr -s ' ' '_')"
else
  result split-brain-second-copy no
  result split-brain-refused FAILED
fi
if running "$s"; then result split-brain-original-running yes; else result split-brain-original-running no; fi
start_corosync "$s"
start_pacemaker "$s"
until_ok 120 both_online "$d"
settle "$d"; cleanup "$d"
until_ok 60 at_most_one
result copies-after-rejoin "$(copies)"

phase "node crash (every process of the guest's node killed)"
s=$(where); d=$(other "$s")
mark_boot
t=$(now); crash "$s"
if until_ok 120 failed_over "$d"; then result node-crash-failover "$(since "$t")"; else result node-crash-failover FAILED; fi
revive "$s"
settle "$d"; cleanup "$d"

fi

# The guest shuts itself down: its console says so, libvirt's log of its qemu says
# "reason=shutdown" (a destroy says "reason=destroyed"), and Pacemaker's stop ended with 0.
phase "clean stop"
until_booted || echo "== $kind: the guest did not boot" >&2
n=$(where); c0=$(size "$(console "$n")"); q0=$(size "$(qemu_log "$n")"); l0=$(size "$(pcmk_log "$n")")
t=$(now); on hvA crm_resource -r "$rsc" --meta -p target-role -v Stopped >/dev/null 2>&1
if until_ok 120 stopped; then result clean-stop "$(since "$t")"; else result clean-stop FAILED; fi
settle
if after "$(console "$n")" "$c0" | grep -q 'havirt-guest: ACPI power button pressed, powering off'; then
  result clean-stop-console powering-off
else
  result clean-stop-console none
fi
result clean-stop-reason "$(after "$(qemu_log "$n")" "$q0" | sed -n 's/.*shutting down, reason=//p' | tr '\n' ',' | sed 's/,$//')"
result clean-stop-pacemaker "$(after "$(pcmk_log "$n")" "$l0" | sed -n "s/.* $rsc stop (call [0-9]*, PID [0-9]*) exited with status \([0-9]*\).*/\1/p" | tr '\n' ',' | sed 's/,$//')"
on hvA cibadmin --delete -o resources --xml-text "<primitive id=\"$rsc\"/>" >/dev/null 2>&1
for n in "${NODES[@]}"; do on "$n" virsh -c qemu:///system undefine "$guest" >/dev/null 2>&1; done
settle
# Only havirt tells a paused guest from a running one; VirtualDomain's monitor answers 0 for both.
[ "$kind" != havirt ] || [ "$mode" != all ] || io_failover
phase "done"
