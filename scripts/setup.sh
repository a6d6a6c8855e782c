#!/usr/bin/env bash
# Installs what Warden needs to build and test on Debian 12, and nothing when it is all there.
# Idempotent: checks each package first and calls apt-get only for the missing ones.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache mold
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev ca-certificates openssl libyaml-cpp-dev libexpected-dev libre2-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libsqlite3-dev libpq-dev libhiredis-dev libjemalloc-dev
  curl
)
if [[ "${1:-}" == "--bench" ]]; then
  # bench/run.py: nginx is the floor Warden is measured against.
  packages+=(nginx-light python3)
fi
if [[ "${1:-}" == "--test" ]]; then
  # The tests start their own throwaway PostgreSQL and Redis (scripts/test-services.sh);
  # the UI tests drive Debian's Chromium through playwright-core.
  packages+=(nodejs postgresql redis-server sqlite3 chromium)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A machine Node.js (e.g. from NodeSource or nvm) counts as installed.
if command -v node >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}")
fi
read -r -a missing <<<"${missing[*]}"

sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [[ "${1:-}" == "--test" ]] && ! command -v npm >/dev/null 2>&1; then
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
fi
