#!/usr/bin/env bash
# Installs what is missing, builds Warden, and starts `warden serve` on its
# defaults (127.0.0.1:8000 → https://api.anthropic.com). Extra arguments go to
# `warden serve`, e.g. `scripts/serve.sh --config warden.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDEN_TESTS=OFF >/dev/null
cmake --build build --target warden -j "$(nproc)"
exec build/src/warden serve "$@"
