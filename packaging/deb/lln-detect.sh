#!/bin/sh
# /usr/bin/lln-detect, from the Debian package lln-detect (scripts/build-deb.sh): runs the program
# in /usr/lib/lln-detect with the Node.js it was built for (its native modules better-sqlite3 and
# cap are compiled for Node.js @NODE_MAJOR@); exec, so under systemd node is the unit's main process.
node=@NODE@
[ -x "$node" ] || node=$(command -v node) || {
  echo "lln-detect: Node.js @NODE_MAJOR@ not found (not at @NODE@, not on the PATH)" >&2
  exit 127
}
exec "$node" /usr/lib/lln-detect/dist/src/cli/main.js "$@"
