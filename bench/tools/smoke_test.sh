#!/usr/bin/env bash
# Keeps the benchmark's tools honest: bench_upstream serves every shape,
# bench_load drives it directly and through Warden for a second each, and
# every run must complete requests with zero errors.
# Usage: smoke_test.sh BENCH_UPSTREAM BENCH_LOAD WARDEN
set -euo pipefail
upstream_bin=$1 load_bin=$2 warden_bin=$3
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME ARGS...: starts a server that prints "listening …:PORT"; sets $port.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    port=$(grep -oE 'listening( on)? [0-9.]+:[0-9]+' "$work/$name.out" | grep -oE '[0-9]+$' || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  echo "$name did not start"; cat "$work/$name.err"; exit 1
}

start upstream "$upstream_bin" --port 0
upstream_port=$port
cat >"$work/warden.yaml" <<YAML
listen: 127.0.0.1:0
threads: 2
data_dir: $work/data
log_level: warn
providers:
  anthropic: { dialect: anthropic, base_url: "http://127.0.0.1:$upstream_port" }
  openai: { dialect: openai, base_url: "http://127.0.0.1:$upstream_port/v1" }
YAML
start warden "$warden_bin" serve --config "$work/warden.yaml"
warden_port=$port

failures=0
for target in "upstream:$upstream_port" "warden:$warden_port"; do
  for shape in text tool openai json; do
    for pace in 0 20; do
      [[ $shape == json && $pace != 0 ]] && continue
      out=$("$load_bin" --url "http://127.0.0.1:${target#*:}" --shape "$shape" --connections 8 \
            --duration 1 --warmup 0.2 --pace-ms "$pace" 2>"$work/load.err")
      requests=$(grep -oE '"requests":[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
      errors=$(grep -oE '"errors":[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
      deltas=$(grep -oE '"deltas_min":[0-9]+' <<<"$out" | grep -oE '[0-9]+$')
      echo "${target%%:*} $shape pace=$pace: requests=$requests errors=$errors deltas_min=$deltas"
      if [[ -z "$requests" || "$requests" -eq 0 || "$errors" -ne 0 ]]; then
        echo "  FAILED: $out"; cat "$work/load.err"; failures=$((failures + 1))
      fi
      # Every stream carries its 50 deltas (JSON answers have none).
      if [[ $shape != json && "${deltas:-0}" -ne 50 ]]; then
        echo "  FAILED: a stream arrived with $deltas deltas"; failures=$((failures + 1))
      fi
    done
  done
done
exit $((failures > 0))
