#!/usr/bin/env bash
# havirt's benchmarks, side by side with the peers measured on this machine.
#
#   src-test/bench/run.sh            every benchmark; writes docs/benchmarks.md
#   src-test/bench/run.sh NAME...    only those; prints their tables (docs/ is left alone,
#                                    unless BENCH_DOCS=1: then docs/benchmarks.md is rebuilt from
#                                    these and the sections earlier runs left in the directory)
#
# Names: monitor-cost detection scale rhev-scale pacemaker-failover micro config-parse cli-startup;
# detection-ioerror runs only the I/O-error row of detection and prints it.
# Not in the default set: nemesis, the 30-minute nemesis campaign on two nodes (issue 16), which
# writes the figures section of docs/reliability.md (NEMESIS_SEED, NEMESIS_MINUTES and
# NEMESIS_BACKEND override its seed, length and backend; the backend is both by default, so the
# long run covers every fault kind of KVM and of RHEV-M).
# As root on Debian it installs the packages it needs (libvirt, QEMU, Pacemaker, corosync,
# resource-agents) and builds havirt if needed. Each benchmark is a program that prints a
# Markdown section; the sections are collected under src-test/target/bench/.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
all=(monitor-cost detection scale rhev-scale pacemaker-failover micro config-parse cli-startup)

packages=(libvirt-daemon libvirt-clients libvirt0 libvirt-daemon-driver-qemu qemu-system-x86
  resource-agents python3 corosync pacemaker pacemaker-cli-utils iproute2 util-linux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "bench: missing Debian packages: ${missing[*]} (run as root)" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The detection benchmark's I/O-error row boots the QEMU tests' guest: fetch its two packages.
src-test/test-guest-debs.sh
if [ ! -d packaging/target/havirt/lib ] || [ ! -d src-test/target/classes ] || [ -n "${BENCH_REBUILD:-}" ]; then
  mvn -B -q -ntp install -DskipTests
fi
dist=$top/packaging/target/havirt
cp="src-test/target/classes:$(ls src-test/target/bench-lib/*.jar 2>/dev/null | tr '\n' ':')$(ls "$dist"/lib/*.jar | tr '\n' ':')"
out=src-test/target/bench
mkdir -p "$out"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")

pacemaker_failover() {
  local trials=${FAILOVER_TRIALS:-20} starts=${FIRST_START_TRIALS:-${FAILOVER_TRIALS:-20}}
  local lab=src-test/pacemaker
  "$lab/lab.sh" setup
  trap '"$lab/lab.sh" teardown >/dev/null' RETURN
  # First starts before the failovers, alternating the agents trial by trial, so that both see
  # the same machine load.
  : >"$out/first-start-virtualdomain.log"
  : >"$out/first-start-havirt.log"
  for i in $(seq "$starts"); do
    "$lab/scenarios.sh" virtualdomain first-start 1 | tee -a "$out/first-start-virtualdomain.log"
    "$lab/scenarios.sh" havirt first-start 1 | tee -a "$out/first-start-havirt.log"
  done
  "$lab/scenarios.sh" virtualdomain failover "$trials" | tee "$out/failover-virtualdomain.log"
  "$lab/scenarios.sh" havirt failover "$trials" | tee "$out/failover-havirt.log"
  python3 - "$out" "$trials" "$starts" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out/pacemaker-failover.md" <<'PY'
import math, statistics, sys
out, trials, starts, load = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def times(agent, kind="failover"):
    v = []
    for line in open("%s/%s-%s.log" % (out, kind, agent)):
        f = line.split()
        if f[:2] == ["RESULT", kind + "-trial"] and f[2] != "FAILED":
            v.append(float(f[2]))
    return sorted(v)
def pct(v, p):
    return v[max(0, min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1))] if v else float("nan")
vd, hv = times("virtualdomain", "first-start"), times("havirt", "first-start")
print("## First start under Pacemaker\n")
print("The lab below. Each trial creates the primitive (`cibadmin --create`) and times it until the"
      " guest runs where Pacemaker placed it (Pacemaker probes both nodes, then starts it on one);"
      " then the resource is stopped, deleted, undefined in libvirt and deleted from both havirt"
      " agents, so every trial is a first start. The agents alternate trial by trial; %d trials"
      " per agent; load average at the end: %s.\n" % (starts, load))
print("| agent | trials ok | median s | p95 s | VirtualDomain's median ÷ this |")
print("|---|---|---|---|---|")
for name, v in (("Pacemaker VirtualDomain", vd), ("havirt `ocf:havirt:KVMGuest`", hv)):
    print("| %s | %d/%d | %.2f | %.2f | %.2f |" % (name, len(v), starts, pct(v, 50), pct(v, 95),
          pct(vd, 50) / pct(v, 50)))
print()
vd, hv = times("virtualdomain"), times("havirt")
print("## Failover under Pacemaker\n")
print("Two-node corosync + Pacemaker cluster on this machine (`src-test/pacemaker/lab.sh`), the"
      " same QEMU TCG guest (havirt's test guest: a kernel that boots and powers off on the ACPI"
      " power button), monitor every 5 s, no `force_stop`, each libvirtd under a"
      " subreaper that reaps a dead qemu at once as systemd does. Each trial kills the"
      " guest's qemu with `kill -9` and times it until the guest runs again (a new qemu,"
      " `running`); %d trials per agent.\n" % trials)
print("| agent | trials ok | median s | p95 s | VirtualDomain's median ÷ this |")
print("|---|---|---|---|---|")
for name, v in (("Pacemaker VirtualDomain", vd), ("havirt `ocf:havirt:KVMGuest`", hv)):
    print("| %s | %d/%d | %.2f | %.2f | %.2f |" % (name, len(v), trials, pct(v, 50), pct(v, 95),
          pct(vd, 50) / pct(v, 50)))
print()
PY
  cat "$out/pacemaker-failover.md"
}

nemesis_campaign() {
  local seed=${NEMESIS_SEED:-$(($(date +%s) % 1000000))} minutes=${NEMESIS_MINUTES:-30}
  local status=0
  src-test/nemesis/run.sh --seed "$seed" --minutes "$minutes" --nodes 2 \
    --backend "${NEMESIS_BACKEND:-both}" --dir "$out/nemesis-$seed" --report "$out/nemesis.md" \
    | tee "$out/nemesis.log" || status=$?
  [ -f "$out/nemesis.md" ] || { echo "nemesis: no report (status $status)" >&2; return 1; }
  python3 - "$out/nemesis.md" docs/reliability.md <<'PY'
import sys
fig, doc = sys.argv[1], sys.argv[2]
begin = "<!-- nemesis figures: written by src-test/bench/run.sh nemesis -->"
end = "<!-- end of nemesis figures -->"
text = open(doc).read()
i, j = text.index(begin) + len(begin), text.index(end)
open(doc, "w").write(text[:i] + "\n\n" + open(fig).read() + "\n" + text[j:])
PY
  echo "wrote docs/reliability.md (the campaign's exit status: $status)"
}

for name in "${names[@]}"; do
  rm -f "$out/$name.md"
  case $name in
    monitor-cost)
      java -cp "$cp" org.havirt.bench.MonitorCostBenchmark "$dist" src-test/bench/cpu-of.py 100 "$out/$name.md" ;;
    detection)
      # Each I/O-error trial boots the test guest (seconds under TCG): fewer of them.
      java -cp "$cp" org.havirt.bench.DetectionBenchmark "$dist/bin/havirt" "${DETECTION_TRIALS:-200}" "$out/$name.md" \
        "${IOERROR_TRIALS:-20}" ;;
    detection-ioerror)
      # The I/O-error row of "detection" alone; prints it, writes nothing.
      java -cp "$cp" org.havirt.bench.IoErrorDetection "$dist/bin/havirt" "${IOERROR_TRIALS:-20}" ;;
    scale)
      # 10 s MonitorInterval, 60 s CPU window, 200 destroy trials at each size.
      java -cp "$cp" org.havirt.bench.AgentScaleBenchmark "$dist/bin/havirt" 100,1000,5000 10 60 200 "$out/$name.md" ;;
    rhev-scale)
      # 3 monitor rounds and 20 detections at each size.
      java -cp "$cp" org.havirt.bench.RhevScaleBenchmark 100,1000,5000 3 20 "$out/$name.md" ;;
    pacemaker-failover) pacemaker_failover ;;
    nemesis) nemesis_campaign ;;
    micro)
      java -cp "$cp" org.havirt.bench.micro.MicroBenchmarks "$out/$name.md" ;;
    config-parse)
      java -Xmx2g -cp "$cp" org.havirt.bench.ConfigParseBenchmark 10 15 "$out/$name.md" ;;
    cli-startup)
      # 30 runs of each command, 10 daemon starts with and without the class-data archive.
      java -cp "$cp" org.havirt.bench.CliStartupBenchmark "$dist" src-test/bench/cpu-of.py \
        "${CLI_RUNS:-30}" "${CLI_AGENT_STARTS:-10}" "$out/$name.md" ;;
    *) echo "unknown benchmark: $name (known: ${all[*]})" >&2; exit 2 ;;
  esac
done

if [ $# -eq 0 ] || [ "${BENCH_DOCS:-0}" = 1 ]; then
  {
    echo "# Benchmarks"
    echo
    echo "Written by \`src-test/bench/run.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores,"
    echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)."
    echo "Every peer figure was measured on the same machine, side by side with havirt in the same"
    echo "benchmark program, unless its row says it is computed. Medians and 95th percentiles by nearest rank."
    echo
    for name in "${all[@]}"; do cat "$out/$name.md"; done
  } >docs/benchmarks.md
  echo "wrote docs/benchmarks.md"
fi
