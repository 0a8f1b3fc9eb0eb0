#!/usr/bin/env bash
# npm run deb: build lln-detect_<version>_<arch>.deb from this checkout, wherever it is (/tmp, a
# home directory …): the package puts the program where the sandboxed unit can see it.
#
#   /usr/lib/lln-detect/     package.json, dist/src (compiled here), node_modules (production only,
#                            `npm ci --omit=dev` in a staging copy, so native modules are built for
#                            this machine's node and libpcap, and cap is patched by its postinstall),
#                            models/default, config.example.yaml
#   /usr/bin/lln-detect      a wrapper: exec node /usr/lib/lln-detect/dist/src/cli/main.js "$@"
#   /lib/systemd/system/lln-detect.service   systemd/lln-detect.service as it is (ExecStart=/usr/bin/lln-detect …)
#   /etc/lln-detect/config.yaml              config.example.yaml, a conffile
#   /usr/share/doc/lln-detect/               README.md, daemon.md, copyright
# Maintainer scripts: packaging/deb/ (postinst: user, state dir 0700, daemon-reload; never starts
# the service. prerm: stops it. postrm purge: removes user, state, logs and /etc/lln-detect).
#
# usage: scripts/build-deb.sh [--out DIR] [--no-cache] [--compress gzip|xz|zstd|none]
#                             [--node-depends auto|yes|no]
#   --out DIR        where the .deb goes (default: dist-deb/ in the checkout, git-ignored)
#   --no-cache       run npm ci afresh and leave the cache alone. By default the staged production
#                    node_modules is cached in LLN_DEB_CACHE (default dist-deb/cache/), keyed by
#                    package-lock.json, scripts/patch-cap.sh, the node version and the architecture
#   --compress C     dpkg-deb compression (default gzip, level 6: fast; xz is smaller and slower)
#   --node-depends   auto (default): Depends on the Debian package that owns this node (nodejs,
#                    same major version: the native modules are built for its ABI) when there is
#                    one; otherwise leave it out (apt would refuse a dependency no package meets)
#                    and let postinst check node. yes/no force either.
# The last line on stdout is the path of the .deb. Needs: dpkg-deb, node >= 20, npm, the
# checkout's dev dependencies (TypeScript: npm ci / scripts/setup.sh), a C++ toolchain and
# libpcap-dev (npm ci builds better-sqlite3 and cap).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$repo/dist-deb
cache=${LLN_DEB_CACHE:-$repo/dist-deb/cache}
use_cache=1
compress=gzip
node_depends=auto

say() { echo "build-deb: $*" >&2; }
die() { echo "build-deb: error: $*" >&2; exit 1; }
usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || { usage; exit 2; }; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --no-cache) use_cache=0; shift ;;
    --compress) [ $# -ge 2 ] || { usage; exit 2; }; compress=$2; shift 2 ;;
    --compress=*) compress=${1#--compress=}; shift ;;
    --node-depends) [ $# -ge 2 ] || { usage; exit 2; }; node_depends=$2; shift 2 ;;
    --node-depends=*) node_depends=${1#--node-depends=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-deb: unknown argument '$1'" >&2; usage; exit 2 ;;
  esac
done
case $compress in gzip|xz|zstd|none) ;; *) die "--compress: gzip, xz, zstd or none, got '$compress'" ;; esac
case $node_depends in auto|yes|no) ;; *) die "--node-depends: auto, yes or no, got '$node_depends'" ;; esac

for tool in dpkg-deb dpkg-query npm sha256sum md5sum readelf ldd; do
  command -v "$tool" >/dev/null || die "$tool not found (a Debian machine with npm is needed)"
done
tsc=$repo/node_modules/.bin/tsc
[ -x "$tsc" ] || die "$tsc not found: install the checkout's dev dependencies first (bash scripts/setup.sh, or npm ci)"

# --- node: the one the package runs with ------------------------------------------------------
node_bin=$(command -v node) || die "node not found on the PATH"
node_real=$(readlink -f "$node_bin")
case $node_real in
  /home/*|/root/*|/run/user/*|/tmp/*|/var/tmp/*)
    die "node is $node_real: the unit's sandbox (ProtectHome=yes, PrivateTmp=yes) hides that path from the service; install Node.js >= 20 under /usr (Debian or NodeSource nodejs), /usr/local or /opt and build again" ;;
esac
node_version=$(node -p 'process.versions.node')
node_major=${node_version%%.*}
node_abi=$(node -p 'process.versions.modules')
[ "$node_major" -ge 20 ] || die "node $node_version: lln-detect needs Node.js >= 20"
node_pkg=$( { dpkg-query -S "$node_bin" 2>/dev/null || dpkg-query -S "$node_real" 2>/dev/null || true; } | grep -v '^diversion' | head -n 1 | cut -d: -f1)
case $node_depends in
  auto) [ -n "$node_pkg" ] && node_dep=yes || node_dep=no ;;
  yes) [ -n "$node_pkg" ] || node_pkg=nodejs; node_dep=yes ;;
  no) node_dep=no ;;
esac

arch=$(dpkg --print-architecture)
version=$(node -p "require('$repo/package.json').version")
deb_version=${version//-/\~} # npm's 1.2.0-rc.1 sorts before 1.2.0; Debian's 1.2.0~rc.1 does too
deb_name=lln-detect_${deb_version}_${arch}.deb

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lln-deb.XXXXXX")
trap 'rm -rf "$work" "$out/.$deb_name.part"' EXIT
root=$work/root
lib=$root/usr/lib/lln-detect
mkdir -p "$lib" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/lln-detect" "$root/usr/share/doc/lln-detect" "$root/DEBIAN"
started=$SECONDS

# --- 1. compile src/ into the package (the checkout's dist/ is left alone) -----------------------
say "compiling src/ with TypeScript"
cat >"$work/tsconfig.json" <<EOF
{
  "extends": "$repo/tsconfig.json",
  "compilerOptions": { "rootDir": "$repo", "outDir": "$lib/dist", "sourceMap": false, "typeRoots": ["$repo/node_modules/@types"] },
  "include": ["$repo/src/**/*.ts"]
}
EOF
"$tsc" -p "$work/tsconfig.json" >&2 || die "TypeScript failed (see above)"
[ -f "$lib/dist/src/cli/main.js" ] || die "the compiled CLI is not at dist/src/cli/main.js"

# --- 2. production node_modules: npm ci --omit=dev in a staging copy, cached -------------------
key=$( { sha256sum <"$repo/package-lock.json"; sha256sum <"$repo/scripts/patch-cap.sh"; echo "node $node_version abi $node_abi $arch"; } | sha256sum | cut -c1-16)
cached=$cache/node_modules-$key
if [ "$use_cache" = 1 ] && [ -f "$cached/.lln-deb-complete" ]; then
  say "node_modules: from the cache ($cached)"
  cp -a "$cached" "$lib/node_modules"
  rm -f "$lib/node_modules/.lln-deb-complete"
else
  say "node_modules: npm ci --omit=dev in a staging copy (a few minutes: native modules are compiled)"
  stage=$work/npm
  mkdir -p "$stage/scripts"
  cp "$repo/package.json" "$repo/package-lock.json" "$stage/"
  cp "$repo/scripts/patch-cap.sh" "$stage/scripts/" # the postinstall: patches and rebuilds cap
  (cd "$stage" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2) || die "npm ci --omit=dev failed (see above)"
  # What only a rebuild or a debugger reads: source maps (200 MB of tfjs), compiler intermediates.
  find "$stage/node_modules" -name '*.map' -type f -delete
  for b in "$stage"/node_modules/better-sqlite3/build "$stage"/node_modules/cap/build; do
    [ -d "$b" ] || continue
    rm -rf "$b/Release/obj.target" "$b/Release/obj" "$b/Release/.deps" "$b/deps"
    find "$b" -name '*.a' -type f -delete
  done
  rm -rf "$stage"/node_modules/.lln-cap-stage.* "$stage/node_modules/.cache"
  [ ! -e "$stage/node_modules/typescript" ] || die "npm ci --omit=dev installed typescript: dev dependencies got in"
  (cd "$stage" && node -e "
    const db = new (require('better-sqlite3'))(':memory:'); db.prepare('select 1').get(); db.close();
    if (typeof require('cap').Cap.prototype.stats !== 'function') throw new Error('cap is not patched (no stats())');
    require('@tensorflow/tfjs-backend-wasm');
  ") >&2 || die "the staged node_modules does not load (better-sqlite3, patched cap, tfjs wasm)"
  if [ "$use_cache" = 1 ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
    cp -a "$stage/node_modules" "$tmp/node_modules"
    touch "$tmp/node_modules/.lln-deb-complete"
    rm -rf "$cached" && mv "$tmp/node_modules" "$cached" && rmdir "$tmp"
    for old in "$cache"/node_modules-*; do [ "$old" = "$cached" ] || rm -rf "$old"; done
    say "node_modules: cached in $cached"
  fi
  mv "$stage/node_modules" "$lib/node_modules"
fi

# --- 3. the rest of the program, the wrapper, the unit, the config, the docs -------------------
cp "$repo/package.json" "$lib/" # the program finds its root (and version) by it
mkdir -p "$lib/models"
cp -r "$repo/models/default" "$lib/models/default"
[ -f "$lib/models/default/model.json" ] || die "models/default/model.json is missing"
cp "$repo/config.example.yaml" "$lib/"
# Read by `lln-detect install-service`: this copy's unit, user and config come from the package.
echo "lln-detect $deb_version, installed by the Debian package lln-detect: unit /lib/systemd/system/lln-detect.service" >"$lib/debian-package"

subst() { # template → file, @NODE@ @NODE_MAJOR@ @NODE_ABI@ @VERSION@ replaced
  sed -e "s|@NODE@|$node_bin|g" -e "s|@NODE_MAJOR@|$node_major|g" -e "s|@NODE_ABI@|$node_abi|g" -e "s|@VERSION@|$deb_version|g" "$1" >"$2"
}
subst "$repo/packaging/deb/lln-detect.sh" "$root/usr/bin/lln-detect"

unit=$repo/systemd/lln-detect.service
grep -qx 'ExecStart=/usr/bin/lln-detect daemon --config /etc/lln-detect/config.yaml' "$unit" \
  || die "$unit: ExecStart= is no longer '/usr/bin/lln-detect daemon --config /etc/lln-detect/config.yaml'; update scripts/build-deb.sh"
sed 's|^Documentation=.*$|Documentation=file:///usr/share/doc/lln-detect/daemon.md|' "$unit" >"$root/lib/systemd/system/lln-detect.service"

cp "$repo/config.example.yaml" "$root/etc/lln-detect/config.yaml"
cp "$repo/README.md" "$repo/docs/daemon.md" "$repo/packaging/deb/copyright" "$root/usr/share/doc/lln-detect/"

# Modes as a package wants them, whatever the checkout's umask made: dirs 0755, files 0644 (0755
# where executable).
chmod -R u+rwX,go+rX,go-w "$root"
chmod 0755 "$root/usr/bin/lln-detect"

# --- 4. DEBIAN/ ----------------------------------------------------------------------------------
# The shared libraries the native modules link against directly (not libpcap's own: its package
# brings them), and the packages that hold them.
libs_deps=$(find "$lib/node_modules" -name '*.node' -type f | while read -r m; do
      needed=$(readelf -d "$m" | sed -n 's/.*Shared library: \[\(.*\)\]$/\1/p')
      ldd "$m" 2>/dev/null | awk -v needed=" $(echo $needed) " '$2 == "=>" && $3 ~ /^\// && index(needed, " " $1 " ") { print $3 }'
    done | sort -u | while read -r so; do
      { dpkg-query -S "$so" 2>/dev/null || dpkg-query -S "$(readlink -f "$so")" 2>/dev/null || true; } | grep -v '^diversion' | head -n 1 | cut -d: -f1
    done | sort -u | tr '\n' ' ')
depends="adduser"
for p in $libs_deps; do depends="$depends, $p"; done
case " $libs_deps " in *" libpcap0.8 "*) ;; *) depends="$depends, libpcap0.8" ;; esac
if [ "$node_dep" = yes ]; then
  depends="$node_pkg (>= ${node_major}~), $node_pkg (<< $((node_major + 1))~), $depends"
  node_note="Depends: $node_pkg $node_major.x (the owner of $node_bin)"
else
  why="is not from a Debian package"; [ -z "$node_pkg" ] || why="is from $node_pkg, but --node-depends no"
  node_note="node ($node_bin) $why: Depends leaves Node.js out; postinst checks for Node.js $node_major (module ABI $node_abi)"
fi
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
maintainer=${LLN_DEB_MAINTAINER:-lln-detect local build <root@localhost>}
description=$(node -p "require('$repo/package.json').description")
cat >"$root/DEBIAN/control" <<EOF
Package: lln-detect
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: $depends
Recommends: systemd
Section: net
Priority: optional
Description: self-hosted network anomaly sensor (daemon and CLI)
 $description
 .
 The sensor runs as the sandboxed systemd unit lln-detect.service (user lln-detect, state in
 /var/lib/lln-detect, config /etc/lln-detect/config.yaml). Installing the package does not start
 it: edit the config, then systemctl start lln-detect.
 .
 Built for Node.js $node_major (module ABI $node_abi): its native modules (better-sqlite3, cap)
 are compiled for it.
EOF
echo /etc/lln-detect/config.yaml >"$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  subst "$repo/packaging/deb/$s" "$root/DEBIAN/$s"
  chmod 0755 "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum | sed 's|  \./|  |') >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

say "packing ($compress, $((installed_size / 1024)) MB installed)"
level=(); [ "$compress" = gzip ] && level=(-z6) # dpkg-deb's -z9 default: twice the time for 2 % less
dpkg-deb --root-owner-group -Z"$compress" "${level[@]}" --build "$root" "$out/.$deb_name.part" >&2
mv -f "$out/.$deb_name.part" "$out/$deb_name"
if [ "$out" = "$repo/dist-deb" ]; then # one package in the default folder: apt install ./dist-deb/lln-detect_*.deb
  for old in "$out"/lln-detect_*.deb; do
    [ "$old" = "$out/$deb_name" ] || { rm -f "$old"; say "removed the older $(basename "$old")"; }
  done
fi
say "$node_note"
say "built $out/$deb_name in $((SECONDS - started)) s; install: sudo apt install $out/$deb_name"
echo "$out/$deb_name"
