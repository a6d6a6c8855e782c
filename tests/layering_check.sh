#!/usr/bin/env bash
# Data flows down the pipeline: nothing below server/ may include server/,
# and the pure stages (core, config, api, policy) include no later stage.
set -u
src="$(dirname "$0")/../src"
bad=$(grep -rn '#include "server/' "$src" --include='*.?pp' | grep -v "^$src/server/" | grep -v "^$src/main.cpp")
bad+=$(grep -rnE '#include "(server|pipeline|upstream)/' "$src/core" "$src/config" "$src/api" "$src/policy" --include='*.?pp')
if [[ -n "$bad" ]]; then
  echo "layering violations:"
  echo "$bad"
  exit 1
fi
echo "layering ok"
