import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PgServer, pgSkipReason, SENSOR_PASSWORD, SENSOR_ROLE } from '../test/helpers/pg-server';

/**
 * The README's fleet query outputs (scripts/readme-example.sh): a throwaway PostgreSQL server,
 * sensor `site-a` replays lan-portscan.pcap and lan-dnsshell.pcap, `site-b` replays
 * lan-dnsshell.pcap and lan-portscan.pcap shifted to the last minutes (editcap -t), each
 * forwarding to it; then each `<!-- fleet-query: NAME -->` query of README.md runs through psql as
 * the sensor role, its output written to BLOCKS/fleet-NAME.
 * Usage: node dist/scripts/readme-fleet-example.js ROOT BLOCKS
 */
async function main(): Promise<void> {
  const [root, blocks] = process.argv.slice(2) as [string, string];
  const skip = pgSkipReason();
  if (skip) throw new Error(skip);
  const pg = await PgServer.create();
  const work = mkdtempSync(path.join(tmpdir(), 'lln-readme-fleet-'));
  try {
    const sample = (name: string) => path.join(root, 'samples', name);
    const recent = path.join(work, 'recent.pcap');
    // The scan, moved to end about five minutes ago ("last hour" and "today" then have rows).
    const shift = Math.floor(Date.now() / 1000 - 1709542800 - 17 - 300);
    const e = spawnSync('editcap', ['-t', String(shift), sample('lan-portscan.pcap'), recent], { encoding: 'utf8' });
    if (e.status !== 0) throw new Error(`editcap: ${e.stderr}`);
    const runs: Array<[string, string]> = [['site-a', sample('lan-portscan.pcap')], ['site-a', sample('lan-dnsshell.pcap')], ['site-b', sample('lan-dnsshell.pcap')], ['site-b', recent]];
    for (const [sensor, file] of runs) {
      const r = spawnSync(process.execPath, [path.join(root, 'dist/src/cli/main.js'), 'replay', file, '--db', path.join(work, `${sensor}.db`), '--no-csv', '--quiet',
        '--pg', pg.sensorUrl(), '--pg-password-file', pg.sensorPasswordFile(), '--sensor', sensor], { cwd: work, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`replay ${file} as ${sensor}: ${r.stderr}`);
    }
    const md = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const m of md.matchAll(/<!-- fleet-query: ([\w-]+) -->\s*```postgresql\n([\s\S]*?)```/g)) {
      const r = spawnSync('psql', ['-h', '127.0.0.1', '-p', String(pg.port), '-U', SENSOR_ROLE, '-d', 'fleet', '-v', 'ON_ERROR_STOP=1', '-P', 'footer=off', '-c', m[2]!],
        { encoding: 'utf8', env: { ...process.env, PGPASSWORD: SENSOR_PASSWORD } });
      if (r.status !== 0) throw new Error(`psql ${m[1]}: ${r.stderr}`);
      writeFileSync(path.join(blocks, `fleet-${m[1]}`), r.stdout);
    }
  } finally {
    pg.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(`readme-fleet-example: ${e.message}`);
  process.exit(1);
});
