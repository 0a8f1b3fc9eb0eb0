#!/usr/bin/env bash
# Prints the README's "What it prints" block: the main command on samples/lan-portscan.pcap
# (the sample scripts/sample-recipe.ts names MAIN_SAMPLE) and one query of the database it wrote.
# Run after the shipped model changes and paste the output over the block (npm run build first).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
query="SELECT id, first_frame, last_frame, packets, main_source, main_target, sources, targets, ROUND(max_score, 3) AS max_score FROM incidents ORDER BY packets DESC LIMIT 3"
echo '$ lln-detect replay samples/lan-portscan.pcap'
node "$root/dist/src/cli/main.js" replay "$root/samples/lan-portscan.pcap" 2>/dev/null
echo
echo "\$ sqlite3 -header -column anomalies.db \"$query\""
sqlite3 -header -column anomalies.db "$query"
