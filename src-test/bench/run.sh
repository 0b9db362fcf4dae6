#!/usr/bin/env bash
# Runs havirt's benchmarks and prints their tables. Usage: src-test/bench/run.sh [NAME...]
# Names: config-parse (default: all). Builds the project first if needed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ ! -d packaging/target/havirt/lib ] || [ ! -d src-test/target/classes ]; then
  mvn -B -q -ntp install -DskipTests
fi
cp="src-test/target/classes:$(ls packaging/target/havirt/lib/*.jar | tr '\n' ':')"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(config-parse)
for name in "${names[@]}"; do
  case $name in
    config-parse) java -Xmx2g -cp "$cp" org.havirt.bench.ConfigParseBenchmark 10 15 ;;
    *) echo "unknown benchmark: $name (known: config-parse)" >&2; exit 2 ;;
  esac
done
