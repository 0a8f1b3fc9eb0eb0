#!/usr/bin/env bash
# npm postinstall: cap 0.2.1 asserts (aborting the whole process) when a captured interface goes
# down or disappears (POLLERR in its poll callback). The daemon must survive that and retry, so
# the assert becomes an early return, and the addon is rebuilt. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/cap/src/binding.cc
[ -f "$src" ] || exit 0
if grep -q '^      assert(status == 0);$' "$src"; then
  sed -i 's|^      assert(status == 0);$|      if (status != 0) return; /* lln-detect patch: POLLERR (interface down/gone) must not abort */|' "$src"
  npm rebuild cap >/dev/null 2>&1
  echo "lln-detect: patched cap (interface down no longer aborts) and rebuilt it"
fi
