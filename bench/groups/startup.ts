import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchGroup } from '../measurement.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = 'packages/game/bin/mixnsqueeze.js';
const RUNS = Number(process.env.MNS_BENCH_STARTUP_RUNS ?? 15);

/** CPU seconds used by this process's reaped children so far (Linux: /proc/self/stat cutime + cstime). */
function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // Fields 16 and 17 of stat(5), counted from the state field (3): clock ticks, 100 per second on Linux.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * How long a CLI call takes before it does anything: `mixnsqueeze --version` and `--help` as a user
 * runs them (compiled dist/, the `bin`), the same from sources through tsx (`npm start`'s way), and
 * `list` (the first command that builds the registry). Runs alternate between the cases, so load
 * on a shared machine falls on all of them alike; wall and child CPU time, median and minimum.
 * Needs the build (`npm run build`, done by `npm ci`).
 */
export const startupBench: BenchGroup = {
  name: 'startup',
  description: 'CLI start-up: compiled bin against sources through tsx (wall and CPU seconds per call)',
  async run(report) {
    const source = ['--conditions=@mixnsqueeze/source', '--import', 'tsx'];
    const cases = [
      { name: 'mixnsqueeze --version (compiled)', argv: [BIN, '--version'] },
      { name: 'mixnsqueeze --help (compiled)', argv: [BIN, '--help'] },
      { name: 'mixnsqueeze list --json (compiled)', argv: [BIN, 'list', '--json'] },
      { name: 'mixnsqueeze --version (sources, tsx)', argv: [...source, BIN, '--version'] },
      { name: 'node -e "" (Node itself)', argv: ['-e', ''] },
    ];
    const wall = cases.map((): number[] => []);
    const cpu = cases.map((): number[] => []);
    for (let r = 0; r < RUNS; r++) {
      for (const [i, c] of cases.entries()) {
        const c0 = childCpuSeconds();
        const t0 = performance.now();
        const out = spawnSync(process.execPath, c.argv, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8' });
        const t1 = performance.now();
        if (out.status !== 0) throw new Error(`${c.name} failed (${out.status}): ${out.stderr.split('\n')[0]}`);
        wall[i]!.push((t1 - t0) / 1000);
        cpu[i]!.push(childCpuSeconds() - c0);
      }
    }
    for (const [i, c] of cases.entries()) {
      report({
        bench: 'startup',
        case: c.name,
        batch: 1,
        workers: 1,
        images_per_s: 1 / median(wall[i]!),
        wall_median_s: Number(median(wall[i]!).toFixed(3)),
        wall_min_s: Number(Math.min(...wall[i]!).toFixed(3)),
        cpu_median_s: Number(median(cpu[i]!).toFixed(2)),
        runs: RUNS,
      });
    }
  },
};
