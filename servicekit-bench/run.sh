#!/usr/bin/env bash
# Runs the ServiceKit benchmark suite and writes the results into BENCHMARKS.md.
#
#   servicekit-bench/run.sh                  # full suite (< 15 min on 2 cores)
#   servicekit-bench/run.sh --quick          # smoke test: short warm-up and runs
#   servicekit-bench/run.sh --only=echo,jmh  # a subset: echo, idle, broadcast, sse, jmh
#   servicekit-bench/run.sh --wait-quiet=25  # first wait (<= 25 min) for load average < 1.0
#
# The runner is a Java main (io.servicekit.bench.BenchRunner) started by `mvn exec:exec`, so it
# runs on the JDK that Maven's toolchain picked; it starts every server with that same java
# binary (and `node` for the ws and http peers), pinned to CPU 1, and pins itself to CPU 0.
set -euo pipefail
cd "$(dirname "$0")/.."

# 10k idle connections need 10k descriptors in the server and 10k in the load generator.
want=30000
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
  ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
  echo "run.sh: open-file limit $(ulimit -n) is too low for the 10k-connection test" >&2
  exit 1
fi

if command -v npm >/dev/null; then
  (cd servicekit-bench/src/main/node && { [ -d node_modules/ws ] || npm ci --no-audit --no-fund --silent; })
else
  echo "run.sh: npm not found; the Node ws peer will fail" >&2
fi

args="$*"
# test-compile, not package: the jar plugin runs the JDK's jar tool of the JVM running Maven (17 by
# default here), which cannot read the modules' Java 21 module-info; classes directories suffice.
exec mvn -q -B -pl servicekit-bench -am test-compile exec:exec -DskipTests "-Dbench.args=${args:---full}"
