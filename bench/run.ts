/**
 * Benchmarks (not tests): `npm run bench` runs every group and prints a table per group;
 * `npm run bench -- <group> [<group>...] --json` prints one JSON object per line and measurement.
 * Figures from one run are measured side by side: compare ratios, not absolute numbers.
 */
import { cpus } from 'node:os';
import { type BenchGroup, type Measurement } from './measurement.ts';
import { squeezersBench } from './groups/squeezers.ts';
import { forwardBench } from './groups/forward.ts';
import { attacksBench } from './groups/attacks.ts';
import { gradientsBench } from './groups/gradients.ts';
import { experimentBench } from './groups/experiment.ts';
import { adversaryProcessBench } from './groups/adversary-process.ts';
import { startupBench } from './groups/startup.ts';
import { serveBench } from './groups/serve.ts';
import { clusterBench } from './groups/cluster.ts';

const GROUPS: readonly BenchGroup[] = [squeezersBench, forwardBench, gradientsBench, attacksBench, experimentBench, adversaryProcessBench, startupBench, clusterBench, serveBench];

function table(rows: Measurement[]): string {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'bench');
  const cells = rows.map((r) =>
    keys.map((k) => {
      const v = r[k];
      return typeof v === 'number' && k === 'images_per_s' ? Math.round(v).toLocaleString('en-US') : v === undefined ? '' : String(v);
    }),
  );
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === keys.indexOf('images_per_s') ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))).join('  ');
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown group(s) ${unknown.join(', ')}; available: ${GROUPS.map((g) => g.name).join(', ')}\n`);
    process.exit(2);
  }
  const selected = names.length ? GROUPS.filter((g) => names.includes(g.name)) : GROUPS;
  if (!json) process.stdout.write(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})\n`);
  for (const g of selected) {
    const rows: Measurement[] = [];
    if (!json) process.stdout.write(`\n## ${g.name}: ${g.description}\n`);
    await g.run((m) => {
      rows.push(m);
      if (json) process.stdout.write(`${JSON.stringify(m)}\n`);
      else process.stderr.write(`  measured ${m.case} (batch ${m.batch}, ${m.workers} worker${m.workers === 1 ? '' : 's'})\n`);
    });
    if (!json) process.stdout.write(`${table(rows)}\n`);
  }
}

await main();
