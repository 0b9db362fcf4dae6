# The havirt agent restarts under Pacemaker (issue 14 point 5), sourced by scenarios.sh for the
# havirt run: with the guest running and Pacemaker monitoring it every 5 s, the agent on the
# guest's node is (a) killed with kill -9 and restarted 2 s later by its supervisor
# (Restart=on-failure, RestartSec=2s), (b) restarted like "systemctl restart havirt", (c) the
# .deb is installed over itself with dpkg -i and the agent then restarted as its postinst does under
# systemd (the nodes have no systemd, so the postinst's "systemctl try-restart" does nothing
# there; lab.sh restart_havirt does that restart). Each must leave everything as it was: same
# node, same qemu pid, both nodes online, no fencing, no failed action, no fail count, and
# monitors that answer 0 again. Prints per scenario NAME:
#   RESULT NAME-ready S             the new agent's start to its first hello answered
#   RESULT NAME-ready-cpu S         the CPU time (user + system) the new agent used until then
#   RESULT NAME-gap S               the restart's start (kill, TERM) to the new agent's hello
#   RESULT NAME-monitors-in-gap N   monitors that ended after the restart began and had started
#                                   before the new agent was ready (they had to wait for it)
#   RESULT NAME-monitors-after N    monitors that ended with 0 after the new agent was ready
#   RESULT NAME-monitor-failures N  monitors that did not end with 0 (from the trial's start, dpkg included)
#   RESULT NAME-location same|moved, NAME-qemu same|changed, NAME-nodes online|LIST,
#   RESULT NAME-fencing none|LINES, NAME-failed-actions none|TEXT, NAME-failcount N
# The restart is placed 0.5 s before the next monitor is due, so a monitor certainly falls into
# the gap: a wrapper that does not wait for the agent fails it (answered 5 before issue 14).

pcmk_log() { echo "$LAB/$1/fs/var_log_pacemaker/pacemaker.log"; }
# Log lines of file $1 after byte offset $2 (up to offset $3 when given).
log_since() { if [ -n "${3:-}" ]; then head -c "$3" "$1"; else cat "$1"; fi | tail -c +"$(($2 + 1))"; }
# pacemaker-execd's debug lines for this resource's monitors (lab.sh sets PCMK_debug).
MON_DONE="$rsc monitor (call [0-9]*, PID [0-9]*) \\(exited with status\\|could not be executed\\)"
MON_OK="$rsc monitor (call [0-9]*, PID [0-9]*) exited with status 0"
# The same for awk (extended), and when a monitor starts: a recurring monitor's later runs are
# logged when their timer fires, not as "executing".
MON_DONE_ERE="$rsc monitor [(]call [0-9]*, PID [0-9]*[)] (exited with status|could not be executed)"
MON_RUN_ERE="executing - rsc:$rsc action:monitor|Scheduling another invocation of ${rsc}_monitor_"
count() { grep -c -- "$1" || true; }
monitor_since() { [ "$(log_since "$(pcmk_log "$1")" "$2" | count "$MON_DONE")" -ge "${3:-1}" ]; }
monitors_ok_since() { [ "$(log_since "$(pcmk_log "$1")" "$2" | count "$MON_OK")" -ge "$3" ]; }
events() { echo "$LAB/$1/agent-events"; }
# The first event of kind $3 in node $1's supervisor events after byte offset $2: "MS PID".
# (A ready event also carries the CPU the process used until then: "MS PID CPU_MS".)
event_since() { log_since "$(events "$1")" "$2" | awk -v k="$3" '$2 == k { print $1, $3, $4; exit }'; }
has_event() { [ -n "$(event_since "$@")" ]; }
secs() { printf '%d.%02d' $(($1 / 1000)) $(($1 % 1000 / 10)); }
agent_pid() { cat "$LAB/$1/fs/run/havirt-agent.pid"; }
# Pacemaker's log time of a line ("Nov 30 04:07:03.872 hvA ...") in epoch ms.
line_ms() { date -d "$(cut -d' ' -f1-3 <<<"$1")" +%s%3N; }
# Waits until the next recurring monitor on node $1 is 0.5 s away. A recurring monitor is run
# again 5 s after the previous one ended, so its end time in the log tells when (a late poll of
# a busy machine does not move the restart later than that).
before_next_monitor() {
  local off due; off=$(size "$(pcmk_log "$1")")
  while :; do
    until_ok 15 monitor_since "$1" "$off" || return 1
    off=$(size "$(pcmk_log "$1")")
    due=$(($(line_ms "$(log_since "$(pcmk_log "$1")" 0 "$off" | grep -- "$MON_DONE" | tail -1)") + 5000))
    (($(now) < due - 500)) && break
  done
  sleep "$(secs $((due - 500 - $(now))))"
}
# The monitors of node $1's log after byte offset $2 that ended after that point but had started
# before epoch ms $3 (the new agent's readiness): the monitors that ran while no agent answered.
# A monitor's runs do not overlap, so each end belongs to the start before it, if there is one.
monitors_in_gap() {
  local ready; ready=$(date -d "@$(secs "$3")" +%T.%3N)
  log_since "$(pcmk_log "$1")" "$2" | awk -v run="$MON_RUN_ERE" -v done="$MON_DONE_ERE" -v ready="$ready" '
    $0 ~ run { started = $3 }
    $0 ~ done { if (started == "" || started < ready) n++; started = "" }
    END { print n + 0 }'
}
# restart_trial NAME ACTION [PREPARE]: PREPARE NODE runs first (the upgrade's dpkg -i), then
# ACTION NODE restarts the agent; checks and RESULT lines as above. The monitors' failures, the
# fencing and the failed actions are counted from before PREPARE.
restart_trial() {
  local name=$1 action=$2 prepare=${3:-} n p e0 l0 lg t r s ready start l1 m
  n=$(where); p=$(qpid "$n")
  phase "agent restart: $name on $n"
  l0=$(size "$(pcmk_log "$n")")
  [ -z "$prepare" ] || "$prepare" "$n"
  before_next_monitor "$n" || { result "$name" FAILED no monitor seen; return; }
  e0=$(size "$(events "$n")"); lg=$(size "$(pcmk_log "$n")")
  t=$(now)
  "$action" "$n"
  if ! until_ok 60 has_event "$n" "$e0" ready; then result "$name-ready" FAILED; return; fi
  l1=$(size "$(pcmk_log "$n")")
  ready=$(event_since "$n" "$e0" ready | cut -d' ' -f1)
  # The start of the process that became ready (kill -9: the supervisor's restart).
  r=$(event_since "$n" "$e0" ready | cut -d' ' -f2)
  start=$(log_since "$(events "$n")" "$e0" | awk -v p="$r" '$2 == "start" && $3 == p { print $1; exit }')
  result "$name-ready" "$(secs $((ready - start)))"
  result "$name-ready-cpu" "$(secs "$(event_since "$n" "$e0" ready | awk '{ print $3 }')")"
  result "$name-gap" "$(secs $((ready - t)))"
  until_ok 30 monitors_ok_since "$n" "$l1" 2
  result "$name-monitors-in-gap" "$(monitors_in_gap "$n" "$lg" "$ready")"
  result "$name-monitors-after" "$(log_since "$(pcmk_log "$n")" "$l1" | count "$MON_OK")"
  m=$(($(log_since "$(pcmk_log "$n")" "$l0" | count "$MON_DONE") - $(log_since "$(pcmk_log "$n")" "$l0" | count "$MON_OK")))
  result "$name-monitor-failures" "$m"
  if located "$n" "$n" && located "$n" "$(other "$n")"; then result "$name-location" same; else result "$name-location" moved; fi
  if [ "$(qpid "$n")" = "$p" ] && running "$n"; then result "$name-qemu" same; else result "$name-qemu" changed; fi
  s=''
  for m in "${NODES[@]}"; do until_ok 10 both_online "$m" || s="$s$m:$(on "$m" crm_mon -1 2>/dev/null | grep -E 'Online|OFFLINE|UNCLEAN' | tr -s ' \n' '__')"; done
  result "$name-nodes" "${s:-online}"
  s=''
  for m in "${NODES[@]}"; do
    s="$s$(log_since "$(pcmk_log "$m")" "$l0" | grep -E 'UNCLEAN|unclean|will be fenced|Requesting fencing|for fencing|state is now lost' | head -3 | tr -s ' \n' '__')"
  done
  result "$name-fencing" "${s:-none}"
  s=$(on "$n" crm_mon -1 2>/dev/null | sed -n '/Failed Resource Actions/,$p' | tr -s ' \n' '__')
  result "$name-failed-actions" "${s:-none}"
  s=$(on "$n" crm_failcount --query -r "$rsc" -N "$n" 2>/dev/null | sed -n 's/.*value=\([^ ]*\).*/\1/p')
  result "$name-failcount" "${s:-unknown}"
}

# (a) a crash of the agent; its supervisor restarts it 2 s later.
agent_kill9() { kill -9 "$(agent_pid "$1")"; }
# (b) an administrator's "systemctl restart havirt".
agent_restart() { restart_havirt "$1" >/dev/null; }
# (c) the upgrade path: the same .deb installed again over the installed one while the guest
# runs, then the restart the postinst asks systemd for ("systemctl try-restart havirt").
deb_upgrade() {
  local t; t=$(now)
  install_deb "$1" >"$LAB/$1/dpkg-upgrade.log" 2>&1
  result upgrade-dpkg-exit $?
  result upgrade-dpkg "$(since "$t")"
}

# RESTARTS_ONLY="agent-kill9 ..." runs only those trials (by hand, e.g. against an old wrapper).
wanted() { [ -z "${RESTARTS_ONLY:-}" ] || [[ " $RESTARTS_ONLY " == *" $1 "* ]]; }

agent_restarts() {
  local n t
  ! wanted agent-kill9 || restart_trial agent-kill9 agent_kill9
  ! wanted agent-restart || restart_trial agent-restart agent_restart
  wanted agent-upgrade || return 0
  # The first install, and the switch of the node's agent to the installed /usr/lib/havirt.
  n=$(where)
  phase "first install of the .deb on $n"
  t=$(now)
  install_deb "$n" >"$LAB/$n/dpkg-install.log" 2>&1
  result install-dpkg-exit $?
  result install-dpkg "$(since "$t")"
  echo /usr/lib/havirt/bin/havirt >"$LAB/$n/agent-bin"
  restart_havirt "$n" >/dev/null
  until_ok 60 on "$n" /usr/lib/havirt/bin/havirt status
  restart_trial agent-upgrade agent_restart deb_upgrade
  # The agent the upgrade left running is the installed one.
  if tr '\0' ' ' <"/proc/$(agent_pid "$n")/cmdline" | grep -q 'havirt.home=/usr/lib/havirt '; then
    result upgrade-agent-home /usr/lib/havirt
  else
    result upgrade-agent-home "$(tr '\0' ' ' <"/proc/$(agent_pid "$n")/cmdline" | grep -o 'havirt.home=[^ ]*')"
  fi
}
