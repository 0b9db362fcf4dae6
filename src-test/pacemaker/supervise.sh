#!/bin/bash
# Runs one lab node's havirt agent the way systemd runs havirt.service, which the nodes cannot
# use (no systemd, and each node's /run is private):
#   supervise.sh EVENTS SOCKET CMD...
# - Restart=on-failure, RestartSec=2s: when the agent ends without being asked to (kill -9, a
#   crash, any non-zero status), it is started again 2 s later. An exit with status 0 is not
#   restarted. (The JVM ends with status 143 on a SIGTERM, so a TERM sent to the agent by someone
#   else than this supervisor is restarted too, as systemd does for a unit without
#   SuccessExitStatus=143.)
# - a TERM (or INT) to this supervisor is "systemctl stop": it passes TERM to the agent, waits
#   for it to exit and exits without restarting (lab.sh stop_havirt adds TimeoutStopSec).
# - readiness (Type=notify, READY=1 once the engine socket listens): agent-ready.py records when
#   the new process first answers a hello on SOCKET.
# EVENTS gets one line per event: "<epoch ms> start PID", "<epoch ms> ready PID",
# "<epoch ms> exit PID STATUS". The agent's pid is in /run/havirt-agent.pid (the node's /run).
set -u
here=$(cd "$(dirname "$0")" && pwd)
events=$1 sock=$2
shift 2
now() { date +%s%3N; }
stopping='' agent=''
trap 'stopping=1; [ -z "$agent" ] || kill -TERM "$agent" 2>/dev/null' TERM INT
while :; do
  t=$(now)
  "$@" </dev/null &
  agent=$!
  echo "$agent" >/run/havirt-agent.pid
  echo "$t start $agent" >>"$events"
  python3 "$here/agent-ready.py" "$sock" "$agent" "$events" </dev/null >/dev/null 2>&1 &
  # wait returns early when the trap runs; wait again until the agent is really gone.
  rc=''
  while kill -0 "$agent" 2>/dev/null; do
    wait "$agent"
    rc=$?
  done
  [ -n "$rc" ] || { wait "$agent"; rc=$?; }
  echo "$(now) exit $agent $rc" >>"$events"
  [ -z "$stopping" ] && [ "$rc" -ne 0 ] || exit 0
  sleep 2 &
  wait $!
  [ -z "$stopping" ] || exit 0
done
