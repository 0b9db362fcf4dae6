# The I/O error failover (issue 17 point 3), sourced by scenarios.sh for havirt: the guest vmio
# (resource hvio, migration-threshold=1, preferring hvA) has a raw disk at the same path on both
# nodes, /var/lib/libvirt/images/vmio.img, which each node has its own of. On hvA that directory
# is a 4 MiB tmpfs; once up, the guest writes 8 MiB to the disk, the tmpfs fills, the write fails
# and qemu pauses the guest (error_policy='stop': libvirt's "paused (I/O error)"). havirt reports
# it OFFLINE (FailoverOnIOError=1, the default), cleans it and tells Pacemaker, which stops it on
# hvA and starts it on hvB, where the disk works: the guest boots there and its write succeeds.
# With IO_AGENT_DOWN=1 (scenarios.sh havirt ioerror-agent-down, by hand only), hvA's agent is
# stopped while the guest runs there and started again once the guest has paused: the new agent
# first sees a guest already paused on the I/O error. Before the fix of issue 17's report this
# left the guest paused on hvA while Pacemaker showed it stopped (io-failover FAILED, io-hvA-after
# paused...); now that agent's first probe cleans it and the guest fails over (docs/engines.md; the
# agent's side is tested by AgentPausedWhileDownIT, this scenario by hand).
# Prints:
#   RESULT io-paused-event yes|no     libvirt's lifecycle event "Suspended I/O Error" on hvA
#   RESULT io-pause-reason R          libvirt's io-error-reason event there ("enospc")
#   RESULT io-pause-to-destroyed S    that event to the paused qemu's "Stopped Destroyed" event
#   RESULT io-havirt-state TEXT       the state havirt gave it (its log's "unexpected offline")
#   RESULT io-hvA-stop-reason R       how hvA's qemu ended (libvirt: "shutting down, reason=R")
#   RESULT io-order destroyed-first|overlap   hvA's qemu gone before hvB's was started (libvirt's
#                                     own timestamps of both, same clock)
#   RESULT io-copies-max N            most qemus of the guest (running or paused) at one poll
#                                     (every 0.1 s or so) over the scenario
#   RESULT io-failover S              the pause (libvirt's event time) to running on hvB
#   RESULT io-written S               the pause to the guest's "wrote 8 MiB" on hvB's console
#   RESULT io-failcount-hvA N, io-failcount-hvB N, io-fencing none|LINES, io-nodes online|LIST,
#   RESULT io-failed-start-hvB none|TEXT
#   RESULT io-failed-actions TEXT     crm_mon's "Failed Resource Actions" for hvio
#   RESULT io-hvA-after none|STATE    the guest's libvirt state on hvA once the failover is over

io_pcmk_patterns='UNCLEAN|unclean|will be fenced|Requesting fencing|for fencing|state is now lost'

# io_disks: each node's own image directory and sparse 64 MiB image; on hvA a 4 MiB tmpfs.
io_disks() {
  local n
  for n in "${NODES[@]}"; do on "$n" mkdir -p /var/lib/libvirt/images; done
  on hvA mountpoint -q /var/lib/libvirt/images ||
    on hvA mount -t tmpfs -o size=4m,mode=0755 lab-hvA-images /var/lib/libvirt/images
  for n in "${NODES[@]}"; do
    on "$n" rm -f /var/lib/libvirt/images/vmio.img
    on "$n" truncate -s 64M /var/lib/libvirt/images/vmio.img
  done
}
# A qemu of the guest on node $1, running or paused (the paused one still holds its disk).
alive() { case "$(state "$1")" in "" | "shut off"* | crashed*) return 1 ;; *) return 0 ;; esac; }
qemus() { local c=0 n; for n in "${NODES[@]}"; do alive "$n" && c=$((c + 1)); done; echo $c; }
# libvirt's timestamp of a log or event line ("2026-11-30 07:07:46.523+0000: ...") in epoch ms.
stamp_ms() { date -d "$(sed 's/: .*//' <<<"$1")" +%s%3N; }
paused_event() { grep -m1 "for domain '$guest': Suspended I/O Error" "$io_events"; }
wrote_on() { after "$(console "$1")" "${boot_off[$1]}" | grep -q 'havirt-guest: wrote 8 MiB to /dev/vda'; }
failcount() {
  local v; v=$(on "$1" crm_failcount --query -r "$rsc" -N "$2" 2>/dev/null | sed -n 's/.*value=\([^ ]*\).*/\1/p')
  echo "${v:-unknown}"
}

io_failover() {
  # Created stopped: its location constraint can only name an existing resource.
  local rsc=hvio guest=vmio
  local META='<nvpair id="hvio-mt" name="migration-threshold" value="1"/><nvpair id="hvio-tr" name="target-role" value="Stopped"/>'
  local io_events=$LAB/hvA/io-events.log watcher l0A l0B e tp tr s max=0 c w
  phase "I/O error: $guest's disk on hvA fails writes"
  io_disks
  l0A=$(size "$(pcmk_log hvA)") l0B=$(size "$(pcmk_log hvB)")
  : >"$io_events"
  watcher=$(on hvA sh -c "virsh -c qemu:///system event --all --loop --timestamp >'$io_events' 2>&1 & echo \$!")
  on hvA cibadmin --create -o resources --xml-text "$(primitive)"
  on hvA cibadmin --create -o constraints \
    --xml-text "<rsc_location id=\"$rsc-prefers-hvA\" rsc=\"$rsc\" node=\"hvA\" score=\"50\"/>"
  mark_boot
  on hvA crm_resource -r "$rsc" --meta -p target-role -v Started >/dev/null
  if [ -n "${IO_AGENT_DOWN:-}" ]; then
    until_ok 120 running hvA
    phase "stopping hvA's agent until the guest has paused"
    stop_havirt hvA
    until_ok 120 paused_event
    start_havirt hvA
  fi
  # Every 0.1 s until the guest runs on hvB: how many copies run (a paused qemu is a copy).
  e=$(($(now) + 120000))
  until located hvB hvB && running hvB; do
    c=$(qemus); ((c > max)) && max=$c
    (($(now) < e)) || break
    sleep 0.1
  done
  tr=$(now)
  if e=$(paused_event); then
    tp=$(stamp_ms "$e")
    result io-paused-event yes
    if located hvB hvB && running hvB; then result io-failover "$(secs $((tr - tp)))"; else result io-failover FAILED; fi
    if until_ok 120 wrote_on hvB; then
      result io-written "$(secs $(($(now) - tp)))"
    else
      result io-written FAILED
    fi
  else
    result io-paused-event no
    result io-failover FAILED
  fi
  # A copy started on hvB while the poll slept would still run now.
  c=$(qemus); ((c > max)) && max=$c
  result io-copies-max "$max"
  s=$(grep -m1 "event 'io-error-reason' for domain '$guest'" "$io_events" | sed 's/.* due to //')
  result io-pause-reason "${s:-none}"
  s=$(grep -m1 "for domain '$guest': Stopped Destroyed" "$io_events")
  if [ -n "$s" ] && [ -n "${tp:-}" ]; then result io-pause-to-destroyed "$(secs $(($(stamp_ms "$s") - tp)))"; else result io-pause-to-destroyed none; fi
  s=$(grep "resource=$rsc unexpected offline" "$LAB/hvA/havirt-log/engine_A.log" | head -1 | sed 's/.*unexpected offline //')
  result io-havirt-state "$(tr ' ' '_' <<<"${s:-none}")"
  result io-hvA-stop-reason "$(sed -n 's/.*shutting down, reason=//p' "$(qemu_log hvA)" | tr '\n' ',' | sed 's/,$//')"
  s=$(grep -m1 'shutting down, reason=' "$(qemu_log hvA)")
  w=$(grep -m1 'starting up' "$(qemu_log hvB)")
  if [ -n "$s" ] && [ -n "$w" ] && (($(stamp_ms "$s") < $(stamp_ms "$w"))); then
    result io-order destroyed-first
  else
    result io-order "overlap:${s%%: *}/${w%%: *}"
  fi
  result io-failcount-hvA "$(failcount hvB hvA)"
  result io-failcount-hvB "$(failcount hvB hvB)"
  s=$(on hvB crm_mon -1 2>/dev/null | grep "$rsc start on hvB returned" | tr -s ' \n' '__')
  result io-failed-start-hvB "${s:-none}"
  s=$(on hvB crm_mon -1 2>/dev/null | sed -n '/Failed Resource Actions/,$p' | grep "$rsc " | sed 's/ returned.*//; s/^ *\* *//' | tr ' ' '_' | paste -sd';')
  result io-failed-actions "${s:-none}"
  s=$(state hvA)
  result io-hvA-after "$(tr ' ' '_' <<<"${s:-none}")"
  s=$( (after "$(pcmk_log hvA)" "$l0A"; after "$(pcmk_log hvB)" "$l0B") | grep -E "$io_pcmk_patterns" | head -3 | tr -s ' \n' '__')
  result io-fencing "${s:-none}"
  s=''
  for c in "${NODES[@]}"; do until_ok 10 both_online "$c" || s="$s$c:offline"; done
  result io-nodes "${s:-online}"
  kill "$watcher" 2>/dev/null
  forget
  on hvA cibadmin --delete -o constraints --xml-text "<rsc_location id=\"$rsc-prefers-hvA\"/>" >/dev/null 2>&1
  on hvA umount /var/lib/libvirt/images
  settle
}
