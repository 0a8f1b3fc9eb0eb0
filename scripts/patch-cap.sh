#!/usr/bin/env bash
# npm postinstall: patch cap 0.2.1's binding and rebuild it. Idempotent: each patch is applied
# only when its marker is absent, and nothing is rebuilt when the installed addon is current.
#  1. cap asserts (aborting the whole process) when a captured interface goes down or disappears
#     (POLLERR in its poll callback); the daemon must survive that and retry: early return.
#  2. cap always asks libpcap for 65535-byte snapshots; honour the caller's buffer (snaplen).
#  3. cap exposes no pcap_stats, so packets libpcap's kernel ring dropped went uncounted; add
#     stats() -> { ps_recv, ps_drop, ps_ifdrop } (libpcap's own counters, 32-bit, they wrap).
#  4. cap's 'packet' event gives the captured length only; add the wire length (pcap_pkthdr.len)
#     as a 4th argument, so a snaplen shorter than the frame keeps its true length (frame_len,
#     and the IP length check, read it).
# The addon is built in a staging copy and swapped in with one rename: node_modules may be shared
# with running processes (a symlinked tree), which must never find cap.node missing or half-built.
set -euo pipefail
cd "$(dirname "$0")/.."
cap=node_modules/cap
[ -f "$cap/src/binding.cc" ] || exit 0

has_stats() { # $1: a cap package directory
  node -e "process.exit(typeof require(require('path').resolve(process.argv[1])).Cap.prototype.stats === 'function' ? 0 : 1)" "$1" 2>/dev/null
}

patch_binding() { # $1: binding.cc to patch in place
  local f=$1
  if grep -q '^      assert(status == 0);$' "$f"; then
    sed -i 's|^      assert(status == 0);$|      if (status != 0) return; /* lln-detect patch: POLLERR (interface down/gone) must not abort */|' "$f"
  fi
  if grep -q 'pcap_set_snaplen(obj->pcap_handle, 65535)' "$f"; then
    sed -i 's|pcap_set_snaplen(obj->pcap_handle, 65535)|pcap_set_snaplen(obj->pcap_handle, obj->buffer_length < 65535 ? (int)obj->buffer_length : 65535) /* lln-detect patch */|' "$f"
  fi
  if ! grep -q 'lln-detect patch: wire length' "$f"; then
    grep -q '^      Local<Value> emit_argv\[3\] = {$' "$f" && grep -q '^        Nan::New<Boolean>(truncated)$' "$f" || {
      echo "lln-detect: cannot patch cap: $f is not the cap 0.2.1 binding this script knows (see scripts/patch-cap.sh)" >&2
      exit 1
    }
    sed -i -e 's|^      Local<Value> emit_argv\[3\] = {$|      Local<Value> emit_argv[4] = { /* lln-detect patch: wire length */|' \
      -e 's|^        Nan::New<Boolean>(truncated)$|        Nan::New<Boolean>(truncated),\n        Nan::New<Number>(pkt_hdr->len)|' \
      -e '/^        Nan::New<Function>(obj->Emit),$/{n;s|^        3,$|        4,|}' "$f"
  fi
  if ! grep -q 'lln-detect patch: pcap_stats' "$f"; then
    grep -q '^    static NAN_METHOD(Close) {$' "$f" && grep -q '^      Nan::SetPrototypeMethod(tpl, "close", Close);$' "$f" || {
      echo "lln-detect: cannot patch cap: $f is not the cap 0.2.1 binding this script knows (see scripts/patch-cap.sh)" >&2
      exit 1
    }
    # No backslashes in the block: awk prints ENVIRON values verbatim.
    STATS_METHOD='    /* lln-detect patch: pcap_stats. Throws once closed: read the counters before close(). */
    static NAN_METHOD(Stats) {
      Pcap *obj = Nan::ObjectWrap::Unwrap<Pcap>(info.This());
      if (obj->pcap_handle == nullptr || obj->closing)
        return Nan::ThrowError("Not currently capturing/open");
      struct pcap_stat ps;
      if (pcap_stats(obj->pcap_handle, &ps) != 0)
        return Nan::ThrowError(pcap_geterr(obj->pcap_handle));
      Local<Object> out = Nan::New<Object>();
      Nan::Set(out, Nan::New<String>("ps_recv").ToLocalChecked(), Nan::New<Number>(ps.ps_recv));
      Nan::Set(out, Nan::New<String>("ps_drop").ToLocalChecked(), Nan::New<Number>(ps.ps_drop));
      Nan::Set(out, Nan::New<String>("ps_ifdrop").ToLocalChecked(), Nan::New<Number>(ps.ps_ifdrop));
      info.GetReturnValue().Set(out);
    }
' awk '/^    static NAN_METHOD\(Close\) \{$/ { printf "%s\n", ENVIRON["STATS_METHOD"] } { print }' "$f" >"$f.tmp"
    sed -i 's|^      Nan::SetPrototypeMethod(tpl, "close", Close);$|&\n      Nan::SetPrototypeMethod(tpl, "stats", Stats); /* lln-detect patch: pcap_stats */|' "$f.tmp"
    mv -f "$f.tmp" "$f"
  fi
}

stage=$(mktemp -d node_modules/.lln-cap-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
cp -a "$cap/." "$stage/"
rm -rf "$stage/build"
patch_binding "$stage/src/binding.cc"
if cmp -s "$stage/src/binding.cc" "$cap/src/binding.cc" && has_stats "$cap"; then
  exit 0 # already patched and built
fi

# `npm run install` is cap's own `node-gyp rebuild`, with npm's bundled node-gyp on the PATH.
# The staging copy sits inside node_modules, so the build still finds nan.
if ! (cd "$stage" && npm run install >build.log 2>&1); then
  echo "lln-detect: rebuilding the patched cap failed (libpcap-dev installed?); last lines of the build:" >&2
  tail -n 15 "$stage/build.log" >&2
  exit 1
fi
has_stats "$stage" || { echo "lln-detect: the rebuilt cap has no stats(); patch not applied (see scripts/patch-cap.sh)" >&2; exit 1; }

# Addon first, then the source: an interrupted run leaves the old source, so the next run redoes it.
mkdir -p "$cap/build/Release"
cp "$stage/build/Release/cap.node" "$cap/build/Release/.cap.node.lln-new"
mv -f "$cap/build/Release/.cap.node.lln-new" "$cap/build/Release/cap.node"
cp "$stage/src/binding.cc" "$cap/src/.binding.cc.lln-new"
mv -f "$cap/src/.binding.cc.lln-new" "$cap/src/binding.cc"
echo "lln-detect: patched cap (interface loss no longer aborts; snaplen honoured; pcap_stats exposed; wire length given) and rebuilt it"
