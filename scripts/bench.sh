#!/usr/bin/env bash
# The benchmark in one command: installs what is missing (nginx among it),
# builds Warden and the bench tools as Release in build-bench, and runs
# bench/run.py (Warden vs nginx vs direct; see bench/README.md). Arguments
# go to run.py, e.g. --quick, --rounds 5, --hold 1000,5000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARDEN_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target warden bench_upstream bench_load
exec python3 bench/run.py --build build-bench "$@"
