#!/usr/bin/env bash
# Benchmark: how long plan and apply take, and how much memory they use, for N builds against
# the bundled emulator with a fixed latency per request (docs/architecture.md §6: a cold plan of N builds
# should cost about RTT × (1 + N / concurrency)).
#
#   scripts/bench-plan.sh [BUILDS] [LATENCY_MS] [CONCURRENCY]      (defaults: 500 20 16)
#
# Prints one line per measured command; results are written down in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

builds=${1:-500}
latency=${2:-20}
concurrency=${3:-16}

cargo build --release --quiet
bin=$PWD/target/release/zadig-sync
work=$(mktemp -d)
trap 'kill "${emulator_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

# Builds spread over 4 projects, each with a parameter, an install and a repo.
mkdir -p "$work/builds.d"
for i in $(seq 1 "$builds"); do
  cat >"$work/builds.d/b$i.yaml" <<YAML
name: bench-$i
project_key: bench-$((i % 4))
infrastructure: kubernetes
build_os: ubuntu 20.04
script_type: shell
build_script: make build-$i
installs: [{name: go, version: 1.22.1}]
repo_info: [{codehost_name: github, repo_namespace: bench, repo_name: svc-$i, branch: main}]
parameters: [{key: LEVEL, type: string, default_value: info}]
YAML
done

"$bin" emulator --listen 127.0.0.1:0 --token bench --latency "$latency" >"$work/emulator.out" &
emulator_pid=$!
until grep -q listening "$work/emulator.out" 2>/dev/null; do sleep 0.05; done
export ZADIG_URL=$(sed -n 's/.*\(http:[^ ]*\).*/\1/p' "$work/emulator.out" | head -1)
export ZADIG_TOKEN=bench

measure() {
  local label=$1; shift
  /usr/bin/time -f "%e s, %M KiB max RSS" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || {
    code=$?; [ "$code" -eq 2 ] || { cat "$work/stderr"; exit "$code"; }; }
  printf '%-28s %s\n' "$label" "$(cat "$work/time")"
}

cd "$work"
echo "builds=$builds latency=${latency}ms concurrency=$concurrency"
measure "apply (cold, $builds creates)" "$bin" apply --yes --concurrency "$concurrency" --rate-limit 0
measure "plan (no changes)" "$bin" plan --concurrency "$concurrency" --rate-limit 0
measure "apply (no changes)" "$bin" apply --yes --concurrency "$concurrency" --rate-limit 0
expected=$(python3 -c "print(round($latency/1000 * (1 + $builds / $concurrency), 2))")
echo "design estimate for a cold plan: RTT × (1 + N/concurrency) ≈ ${expected} s"
