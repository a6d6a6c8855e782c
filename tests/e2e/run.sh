#!/usr/bin/env bash
# Runs Warden's end-to-end tests (the Anthropic SDK and Claude Code, through
# Warden and straight at `warden mock-upstream`).
#
#   tests/e2e/run.sh            # uses build/src/warden
#   WARDEN_BIN=/path/to/warden tests/e2e/run.sh
#
# Installs the pinned npm packages (npm ci) when node_modules is missing or
# does not match package-lock.json; needs nothing else from the network.
# Exits with the test runner's status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

command -v node >/dev/null || { echo "run.sh: node not found (Node.js >= 20 required)" >&2; exit 2; }
command -v npm >/dev/null || { echo "run.sh: npm not found" >&2; exit 2; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "run.sh: Node.js >= 20 required, found $(node --version)" >&2
  exit 2
fi

export WARDEN_BIN="${WARDEN_BIN:-$PWD/../../build/src/warden}"
if [[ ! -x "$WARDEN_BIN" ]]; then
  echo "run.sh: warden binary not found at $WARDEN_BIN (build it, or set WARDEN_BIN)" >&2
  exit 2
fi

# node_modules is current when it was installed from this exact lockfile.
stamp=node_modules/.warden-e2e-lock.sha256
want=$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)
claude_ok() { timeout 60 node_modules/.bin/claude --version >/dev/null 2>&1; }
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]] || ! claude_ok; then
  echo "run.sh: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
  # Claude Code's postinstall swaps the platform binary in for its stub; run it
  # ourselves if npm skipped install scripts.
  if ! claude_ok; then
    node node_modules/@anthropic-ai/claude-code/install.cjs >&2
  fi
  claude_ok || { echo "run.sh: node_modules/.bin/claude does not run after npm ci" >&2; exit 2; }
  echo "$want" >"$stamp"
fi

status=0
node --test --test-reporter=spec --test-timeout=900000 ./*.test.mjs || status=$?
exit "$status"
