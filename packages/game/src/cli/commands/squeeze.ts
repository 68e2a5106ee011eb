import { type Command, Option } from 'commander';
import type { Batch } from '@mixnsqueeze/core';
import { ParameterError } from '@mixnsqueeze/core/errors';
import type { CliContext } from '../context.ts';

interface SqueezeOptions {
  in: string;
  out: string;
  seed?: string;
  bounds: string;
  layout?: 'hwc' | 'chw';
}

function parseBounds(text: string): [number, number] {
  const m = /^\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*$/.exec(text);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new ParameterError(`--bounds: expected 'lo,hi' with lo < hi, got '${text}'.`);
  }
  return [lo, hi];
}

/**
 * `mixnsqueeze squeeze <spec>... --in x.npy --out y.npy [--seed hex]`: applies randomizer and
 * squeezer specs in order to a batch. Everything is validated before the output is written, and
 * the output is written atomically.
 */
export function registerSqueezeCommand(program: Command, ctx: CliContext): void {
  program
    .command('squeeze')
    .description('apply randomizer/squeezer specs in order to a batch (.npy float32 C order N x H x W x C, or .json)')
    .argument('<spec...>', "transform specs, e.g. uniform:0.5 median:2x2 (see 'mixnsqueeze list')")
    .requiredOption('--in <file>', 'input batch (.npy or .json)')
    .requiredOption('--out <file>', 'output batch (.npy or .json, by extension)')
    .option('--seed <hex>', 'derive keys from this master seed (reproducible; never for deployment)')
    .option('--bounds <lo,hi>', 'feature bounds', '0,1')
    .addOption(new Option('--layout <layout>', 'per-sample axis order of 4-D batches').choices(['hwc', 'chw']))
    .action(async (specs: string[], opts: SqueezeOptions) => {
      const registry = await ctx.registry();
      const { checkBatch, derivedKeys, featureSpace, isRandomizer, osKeys, readBatchFile, writeBatchFile } = await import('@mixnsqueeze/core');
      const transforms = specs.map((s) => registry.transform(s));
      const bounds = parseBounds(opts.bounds);
      const x: Batch = await readBatchFile(opts.in);
      if (x.shape.length < 2 || x.shape[0] === 0) {
        throw new ParameterError(`${opts.in}: expected a batch of shape [N, ...] with N >= 1, got [${x.shape.join(', ')}].`);
      }
      const space = featureSpace(x.shape.slice(1), bounds, opts.layout ? { layout: opts.layout } : {});
      checkBatch(space, x, opts.in);
      const keys = opts.seed !== undefined ? derivedKeys(opts.seed) : osKeys();
      let y = x;
      for (const t of transforms) y = isRandomizer(t) ? t.apply(y, space, keys.next()) : t.apply(y, space);
      await writeBatchFile(opts.out, y);
      ctx.stderr(`squeezed ${x.shape[0]} sample(s) of shape [${x.shape.slice(1).join(', ')}] with ${transforms.map((t) => t.spec).join(' -> ')} into ${opts.out}\n`);
    });
}
