#!/usr/bin/env bash
# npm postinstall: cap 0.2.1 asserts (aborting the whole process) when a captured interface goes
# down or disappears (POLLERR in its poll callback). The daemon must survive that and retry, so
# the assert becomes an early return, and the addon is rebuilt. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/cap/src/binding.cc
[ -f "$src" ] || exit 0
changed=0
if grep -q '^      assert(status == 0);$' "$src"; then
  sed -i 's|^      assert(status == 0);$|      if (status != 0) return; /* lln-detect patch: POLLERR (interface down/gone) must not abort */|' "$src"
  changed=1
fi
if grep -q 'pcap_set_snaplen(obj->pcap_handle, 65535)' "$src"; then
  sed -i 's|pcap_set_snaplen(obj->pcap_handle, 65535)|pcap_set_snaplen(obj->pcap_handle, obj->buffer_length < 65535 ? (int)obj->buffer_length : 65535) /* lln-detect patch */|' "$src"
  changed=1
fi
if [ "$changed" = 1 ]; then
  npm rebuild cap >/dev/null 2>&1
  echo "lln-detect: patched cap (interface loss no longer aborts; snaplen honoured) and rebuilt it"
fi
