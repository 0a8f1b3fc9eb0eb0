#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks, then the npm packages, then builds.
# Idempotent: skips apt when every package is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(libpcap-dev tshark tcpreplay iproute2 sqlite3 systemd python3 postgresql chromium)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ -L node_modules ]; then
  # A linked install belongs to another checkout: npm ci would empty the folder it points to.
  echo "setup: node_modules is a link to $(readlink node_modules); leaving it as it is" >&2
elif [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
