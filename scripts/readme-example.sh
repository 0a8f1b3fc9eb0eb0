#!/usr/bin/env bash
# Regenerates the README's output blocks from the program, each marked in README.md by
# `<!-- readme-output: NAME -->` before its ``` block:
#   replay-portscan  the main command on samples/lan-portscan.pcap (the sample
#                    scripts/sample-recipe.ts names MAIN_SAMPLE) and one query of the database it wrote
#   explanations     samples/lan-dnsshell.pcap's port-53 rows with their top_features
#   fleet-*          the fleet queries' results (`<!-- fleet-query: NAME -->`): needs the PostgreSQL
#                    server binaries (scripts/setup.sh installs them); skipped, saying so, without
# Prints every block; with --write it also replaces them in README.md. Run after the shipped model
# or an output format changes (npm run build first). Not regenerated here: `lln-detect status`
# (a learning daemon's, from test/daemon-learn.test.ts) and the Performance table (npm run bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
write=0
[[ "${1:-}" == "--write" ]] && write=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
blocks="$work/blocks"
mkdir -p "$blocks" "$work/run"
cd "$work/run"
lln() { node "$root/dist/src/cli/main.js" "$@"; }

query="SELECT id, first_frame, last_frame, packets, main_source, main_target, sources, targets, ROUND(max_score, 3) AS max_score FROM incidents ORDER BY packets DESC LIMIT 3"
{
  echo '$ lln-detect replay samples/lan-portscan.pcap'
  lln replay "$root/samples/lan-portscan.pcap" 2>/dev/null
  echo
  echo "\$ sqlite3 -header -column anomalies.db \"$query\""
  sqlite3 -header -column anomalies.db "$query"
} > "$blocks/replay-portscan"

query="SELECT frame, src_ip, dst_ip, dst_port, ROUND(score, 3) AS score, top_features FROM anomalies WHERE dst_port = 53 OR src_port = 53 ORDER BY frame LIMIT 5"
{
  echo '$ lln-detect replay samples/lan-dnsshell.pcap --db shell.db --no-csv --quiet'
  lln replay "$root/samples/lan-dnsshell.pcap" --db shell.db --no-csv --quiet 2>/dev/null
  echo "\$ sqlite3 -header -column shell.db \"$query\""
  sqlite3 -header -column shell.db "$query"
} > "$blocks/explanations"

# The fleet: a throwaway PostgreSQL server (the tests' own), two sensors forwarding replays into it.
node "$root/dist/scripts/readme-fleet-example.js" "$root" "$blocks" || echo "fleet blocks not regenerated (see above)" >&2

for f in "$blocks"/*; do
  echo "=== $(basename "$f")"
  cat "$f"
done
if [[ $write == 1 ]]; then
  node - "$root/README.md" "$blocks" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [file, dir] = process.argv.slice(2);
let md = fs.readFileSync(file, 'utf8');
for (const name of fs.readdirSync(dir)) {
  const body = fs.readFileSync(path.join(dir, name), 'utf8').replace(/\n*$/, '\n');
  // The block after the marker (for a fleet query: the output block after its query block).
  const marker = name.startsWith('fleet-') ? `<!-- fleet-query: ${name.slice(6)} -->` : `<!-- readme-output: ${name} -->`;
  const at = md.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker}`);
  const re = name.startsWith('fleet-') ? /```postgresql\n[\s\S]*?```\n```\n[\s\S]*?```/y : /```\n[\s\S]*?```/y;
  re.lastIndex = md.indexOf('```', at);
  const m = re.exec(md);
  if (!m) throw new Error(`no output block after ${marker}`);
  const head = name.startsWith('fleet-') ? m[0].slice(0, m[0].indexOf('```\n```') + 4) : '';
  md = md.slice(0, m.index) + head + '```\n' + body + '```' + md.slice(m.index + m[0].length);
}
fs.writeFileSync(file, md);
console.error(`README.md: ${fs.readdirSync(dir).length} blocks written`);
EOF
fi
