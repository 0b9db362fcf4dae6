#!/usr/bin/env bash
# Runs havirt's benchmarks and prints their tables. Usage: src-test/bench/run.sh [NAME...]
# Names: config-parse, agent-scale (default: all). Builds the project first if needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ ! -d packaging/target/havirt/lib ] || [ ! -d src-test/target/classes ] || [ -n "${BENCH_REBUILD:-}" ]; then
  mvn -B -q -ntp install -DskipTests
fi
cp="src-test/target/classes:$(ls packaging/target/havirt/lib/*.jar | tr '\n' ':')"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(config-parse agent-scale)
for name in "${names[@]}"; do
  case $name in
    config-parse) java -Xmx2g -cp "$cp" org.havirt.bench.ConfigParseBenchmark 10 15 ;;
    # 1,000 guests, 10 s monitor interval, 60 s CPU window, 200 destroy trials.
    agent-scale) java -cp "$cp" org.havirt.bench.AgentScaleBenchmark "$top/packaging/target/havirt/bin/havirt" 1000 10 60 200 ;;
    *) echo "unknown benchmark: $name (known: config-parse, agent-scale)" >&2; exit 2 ;;
  esac
done
