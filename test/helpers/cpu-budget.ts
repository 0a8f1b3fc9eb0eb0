import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/**
 * A CPU budget for a few processes: a cgroup of its own with a CPU quota (cgroup v1's cpu
 * controller, or v2's cpu.max), as a sensor has two cores and not the machine. Tests that compare
 * two daemons side by side give each the same budget, so the one whose scoring worker works less
 * has more of it for capture — what happens on a sensor — while the machine's other load falls
 * on both alike. Needs root and a cgroup file system with the cpu controller; `available()` says
 * why not otherwise.
 */
export class CpuBudget {
  private readonly dir: string;
  private readonly v2: boolean;

  /** Where budgets can be made, or why they cannot. */
  static available(): { ok: true } | { ok: false; why: string } {
    if (process.getuid?.() !== 0) return { ok: false, why: 'needs root for a cgroup' };
    if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) return { ok: true };
    try {
      if (readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('cpu')) return { ok: true };
    } catch {
      /* no cgroup v2 at /sys/fs/cgroup */
    }
    return { ok: false, why: 'no cgroup cpu controller (v1 /sys/fs/cgroup/cpu or v2 cpu in /sys/fs/cgroup/cgroup.controllers)' };
  }

  /** `cpus`: the quota in CPUs (0.7: 70 ms of every 100 ms). */
  constructor(cpus: number) {
    this.v2 = !existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
    const name = `lln-test-${randomBytes(4).toString('hex')}`;
    const quota = String(Math.round(cpus * 100_000));
    if (this.v2) {
      const sub = readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8');
      if (!sub.split(/\s+/).includes('cpu')) writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+cpu');
      this.dir = path.join('/sys/fs/cgroup', name);
      mkdirSync(this.dir);
      writeFileSync(path.join(this.dir, 'cpu.max'), `${quota} 100000`);
    } else {
      this.dir = path.join('/sys/fs/cgroup/cpu', name);
      mkdirSync(this.dir);
      writeFileSync(path.join(this.dir, 'cpu.cfs_period_us'), '100000');
      writeFileSync(path.join(this.dir, 'cpu.cfs_quota_us'), quota);
    }
  }

  /** Move a process, all its threads and what it starts later, into the budget. */
  add(pid: number): void {
    writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** Remove the cgroup once its processes have exited (retried briefly: the kernel lets go of them asynchronously). */
  async destroy(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}
