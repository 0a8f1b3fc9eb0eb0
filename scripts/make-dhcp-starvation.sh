#!/usr/bin/env bash
# Records samples/dhcp-starvation.pcap: a real DHCP server (dnsmasq, pool of 51 addresses) on a
# veth pair inside a network namespace, ordinary clients leasing, then a starvation run (DHCP
# DISCOVERs from random client MACs, scripts/dhcp-starvation.py) that empties the pool. Everything
# stays inside this machine. Needs root, iproute2, dnsmasq (Debian: dnsmasq-base) and tshark.
# Usage: bash scripts/make-dhcp-starvation.sh [OUT.pcap]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/samples/dhcp-starvation.pcap}"
ns="lln-dhcp-$$"
work="$(mktemp -d)"
cleanup() {
  [[ -n "${cap:-}" ]] && kill "$cap" 2>/dev/null || true
  [[ -n "${srv:-}" ]] && kill "$srv" 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "lld$$" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "lld$$" type veth peer name "lls$$"
ip link set "lls$$" netns "$ns"
ip -n "$ns" addr add 10.77.0.1/24 dev "lls$$"
ip -n "$ns" link set "lls$$" up
ip -n "$ns" link set lo up
ip link set "lld$$" up
ip netns exec "$ns" dnsmasq --no-daemon --port=0 --interface="lls$$" --bind-interfaces \
  --dhcp-range=10.77.0.100,10.77.0.150,1h --dhcp-leasefile="$work/leases" --log-dhcp >"$work/dnsmasq.log" 2>&1 &
srv=$!
sleep 1
tshark -q -i "lld$$" -f "udp port 67 or udp port 68 or arp" -w "$work/cap.pcap" -F pcap >/dev/null 2>&1 &
cap=$!
sleep 2
python3 "$root/scripts/dhcp-starvation.py" "lld$$"
sleep 2
kill "$cap"; wait "$cap" 2>/dev/null || true
cap=""
cp "$work/cap.pcap" "$out"
echo "wrote $out: $(tshark -r "$out" 2>/dev/null | wc -l) packets; dnsmasq said: $(grep -c 'no address available' "$work/dnsmasq.log") times 'no address available'"
