#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: C++ unit and
# integration tests and fuzz corpora (ctest), the same C++ tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer with warnings as errors, and
# the end-to-end tests (official SDK, Claude Code) under node --test.
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh --test || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
jobs=$(nproc)
passed=0
failed=0
logs="$root/build/test-logs"

# count_ctest LOG: adds ctest's "N tests failed out of M" to the totals.
count_ctest() {
  local line total bad
  line=$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)
  if [[ -z "$line" ]]; then
    failed=$((failed + 1))
    echo "!! $2: ctest printed no summary"
    return
  fi
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  echo "== $2: $((total - bad)) passed, $bad failed"
}

# build_and_test NAME BUILD_DIR CMAKE_ARGS...
build_and_test() {
  local name=$1 dir=$2
  shift 2
  echo "== $name: configure and build in $dir"
  if ! cmake -S . -B "$dir" -G Ninja "$@" >"$logs/$name-configure.log" 2>&1 ||
     ! cmake --build "$dir" -j "$jobs" >"$logs/$name-build.log" 2>&1; then
    tail -n 60 "$logs/$name-configure.log" "$logs/$name-build.log" 2>/dev/null
    echo "!! $name: build failed"
    failed=$((failed + 1))
    return
  fi
  ctest --test-dir "$dir" -j 2 --timeout 300 --output-on-failure >"$logs/$name-ctest.log" 2>&1
  grep -E '^\s*[0-9]+/[0-9]+ Test|tests passed|failed out of|\*\*\*Failed|Failed  ' "$logs/$name-ctest.log" | grep -vE ' Passed ' | tail -n 40
  grep -q 'failed out of' "$logs/$name-ctest.log" && grep -A200 'The following tests FAILED' "$logs/$name-ctest.log" | head -n 40
  count_ctest "$logs/$name-ctest.log" "$name"
}

mkdir -p "$logs"
# A throwaway PostgreSQL and Redis on loopback for the storage and live-event tests.
# Under /tmp: PostgreSQL runs as its own user, which may not reach the checkout.
services_dir=$(mktemp -d /tmp/warden-services-XXXXXX)
chmod 755 "$services_dir"
if services_env=$(scripts/test-services.sh start "$services_dir" 2>"$logs/services.log"); then
  while IFS= read -r line; do export "${line?}"; done <<<"$services_env"
  trap 'scripts/test-services.sh stop "$services_dir"; rm -rf "$services_dir"' EXIT
else
  cat "$logs/services.log"
  echo "!! could not start PostgreSQL and Redis; the tests that need them will fail"
fi
build_and_test "C++ tests" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWARDEN_TESTS=ON
# The sanitizer build runs the same unit and integration tests against an
# instrumented warden binary.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build_and_test "C++ tests (ASan+UBSan)" build-asan -DCMAKE_BUILD_TYPE=Debug -DWARDEN_TESTS=ON \
  -DWARDEN_SANITIZE=ON -DWARDEN_WERROR=ON

echo "== end-to-end (node --test)"
if [[ -x build/src/warden ]]; then
  WARDEN_BIN="$root/build/src/warden" tests/e2e/run.sh >"$logs/e2e.log" 2>&1
  e2e_status=$?
  # node --test summaries: "# pass N" (tap) or "ℹ pass N" (spec).
  grep -E '^(# |ℹ )(tests|pass|fail) |^not ok|^✖' "$logs/e2e.log" | head -n 40
  e2e_pass=$(grep -E '^(# |ℹ )pass [0-9]+' "$logs/e2e.log" | tail -n 1 | awk '{print $3}')
  e2e_fail=$(grep -E '^(# |ℹ )fail [0-9]+' "$logs/e2e.log" | tail -n 1 | awk '{print $3}')
  if [[ -z "$e2e_pass" ]]; then
    tail -n 40 "$logs/e2e.log"
    echo "!! end-to-end: no test summary (exit $e2e_status)"
    failed=$((failed + 1))
  else
    passed=$((passed + e2e_pass))
    failed=$((failed + ${e2e_fail:-0}))
    if [[ $e2e_status -ne 0 && ${e2e_fail:-0} -eq 0 ]]; then failed=$((failed + 1)); fi
    echo "== end-to-end: $e2e_pass passed, ${e2e_fail:-0} failed"
  fi
else
  echo "!! end-to-end: no warden binary"
  failed=$((failed + 1))
fi

echo "logs: $logs"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
