import type { Command } from 'commander';
import type { Batch, FeatureSpace } from '@mixnsqueeze/core';
import { freshMasterSeed, parseMasterSeed } from '../../experiment/master-seed.ts';
import type { CliContext } from '../context.ts';

const SHADES = ' .:-=+*#%@';

/** The first test digit of each requested class (official MNIST test order), as a batch N x 28 x 28 x 1. */
async function mnistDigits(classes: readonly number[]): Promise<{ x: Batch; space: FeatureSpace }> {
  // Loaded when needed: the libraries are not part of the CLI's start-up.
  const [{ loadMnist }, { gatherRows }] = await Promise.all([import('@mixnsqueeze/backends'), import('@mixnsqueeze/core')]);
  const test = loadMnist('test');
  return { x: gatherRows(test.x, classes.map((c) => test.labels.indexOf(c))), space: test.space };
}

/** Renders the samples of a batch side by side as text, two characters per pixel. */
function render(x: Batch, space: FeatureSpace): string[] {
  const [h, w] = space.shape as [number, number, number];
  const n = x.shape[0]!;
  const lines: string[] = [];
  for (let i = 0; i < h; i++) {
    let line = '';
    for (let s = 0; s < n; s++) {
      for (let j = 0; j < w; j++) {
        const v = x.data[s * h * w + i * w + j]!;
        line += SHADES[Math.min(SHADES.length - 1, Math.floor(v * SHADES.length))]!;
      }
      line += '  ';
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function countDiffer(a: Batch, b: Batch): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

/**
 * `mixnsqueeze demo`: the quick-start job. Squeezes and randomizes a few real MNIST digits with the
 * paper's operating points and shows the properties that matter: fresh keys give fresh noise, a
 * seed replays it, delta = 0 is plain squeezing bit for bit.
 */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description("squeeze and randomize a few MNIST digits with the paper's operating points")
    .option('--seed <hex>', 'replay the draws of an earlier demo (default: a fresh master seed from the OS, printed at the end)')
    .action(async (opts: { seed?: string }) => {
      const seed = opts.seed !== undefined ? parseMasterSeed('--seed', opts.seed) : freshMasterSeed();
      const registry = await ctx.registry();
      const { derivedKeys, isRandomizer } = await import('@mixnsqueeze/core');
      const { x, space } = await mnistDigits([0, 3, 7]);
      const pipelines = [[], ['bit-depth:1'], ['median:2x2'], ['uniform:0.2', 'bit-depth:1'], ['uniform:0.5', 'median:2x2']];
      const run = (specs: readonly string[], seed: string): Batch => {
        const keys = derivedKeys(seed);
        let y = x;
        for (const t of specs.map((s) => registry.transform(s))) y = isRandomizer(t) ? t.apply(y, space, keys.next()) : t.apply(y, space);
        return y;
      };
      for (const specs of pipelines) {
        ctx.stdout(`\n${specs.length ? specs.join(' -> ') : 'original'}\n`);
        for (const line of render(run(specs, seed), space)) ctx.stdout(`  ${line}\n`);
      }
      const a = run(['uniform:0.5', 'median:2x2'], seed);
      const b = run(['uniform:0.5', 'median:2x2'], seed);
      const c = run(['uniform:0.5', 'median:2x2'], `${seed}01`);
      const plain = run(['median:2x2'], seed);
      const zero = run(['uniform:0', 'median:2x2'], seed);
      const total = x.data.length;
      ctx.stdout('\nproperties of uniform:0.5 -> median:2x2 on these digits:\n');
      ctx.stdout(`  same seed, two runs:         ${countDiffer(a, b)} of ${total} values differ (replayable)\n`);
      ctx.stdout(`  another seed:                ${countDiffer(a, c)} of ${total} values differ (fresh key, fresh noise)\n`);
      ctx.stdout(`  uniform:0 vs plain median:   ${countDiffer(zero, plain)} of ${total} values differ (delta = 0 is plain squeezing)\n`);
      ctx.stdout(`  master seed of these draws:  ${seed} (replay with --seed ${seed})\n`);
      ctx.stdout("\nNext: 'mixnsqueeze list' for every component, 'mixnsqueeze squeeze --help' to squeeze your own data.\n");
    });
}
