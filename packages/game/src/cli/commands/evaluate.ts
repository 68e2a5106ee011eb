import { type Command, Option } from 'commander';
import type { SingleBar } from 'cli-progress';
import type { Batch, Classifier } from '@mixnsqueeze/core';
import type { CliContext } from '../context.ts';
import { atMostSamples, positiveCount } from '../counts.ts';
import type { ModelOptions } from './defended-model.ts';

interface EvaluateOptions extends ModelOptions {
  dataset: string;
  labels?: string;
  dataDir?: string;
  limit?: string;
  json?: boolean;
}

const collect = (value: string, prior: string[]): string[] => [...prior, value];
/** Samples per predict call: bounds memory on 10,000-image test sets. */
const CHUNK = 1000;

async function accuracy(model: Classifier, x: Batch, labels: Int32Array, progress?: SingleBar): Promise<number> {
  const { argmaxRows, sliceBatch } = await import('@mixnsqueeze/core');
  let correct = 0;
  for (let i = 0; i < labels.length; i += CHUNK) {
    const pred = argmaxRows(await model.predict(sliceBatch(x, i, i + CHUNK)));
    for (let j = 0; j < pred.length; j++) if (pred[j] === labels[i + j]) correct++;
    progress?.increment(pred.length);
  }
  return correct / Math.max(1, labels.length);
}

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;

/**
 * `mixnsqueeze evaluate --model ... --dataset <mnist|fashion-mnist|path> [--defense spec]...`:
 * clean accuracy of the model, and with the defense when one is given.
 */
export function registerEvaluateCommand(program: Command, ctx: CliContext): void {
  program
    .command('evaluate')
    .description('accuracy of a model on a labelled dataset, without and with a defense')
    .requiredOption('--model <model>', 'zoo id (mnist, fashion-mnist), tfjs model.json or .onnx file')
    .requiredOption('--dataset <dataset>', 'mnist | fashion-mnist (their test splits), a folder, .csv, .npy or IDX file')
    .option('--labels <file>', 'labels for an .npy or IDX images file')
    .option('--data-dir <dir>', 'directory of the Fashion-MNIST IDX files')
    .option('--defense <spec>', 'transform applied before the model; repeat to chain, in order (e.g. uniform:0.5)', collect, [])
    .option('--limit <n>', 'evaluate only the first n samples')
    .option('--seed <hex>', 'derive the defense keys from this master seed (reproducible; never for deployment)')
    .option('--json', 'print JSON')
    .option('--backend <name>', 'tfjs backend: node-gpu | node | wasm | cpu (default: fastest available)')
    .addOption(new Option('--provider <name>', 'ONNX Runtime execution provider for .onnx models').choices(['cpu', 'cuda', 'webgpu']))
    .action(async (opts: EvaluateOptions) => {
      const limit = opts.limit === undefined ? undefined : positiveCount('--limit', opts.limit);
      const { loadDefendedModel, releaseModel } = await import('./defended-model.ts');
      const { model, defended, specs } = await loadDefendedModel(ctx, opts);
      try {
        const { loadDataset, takeSamples } = await import('@mixnsqueeze/backends');
        const all = await loadDataset(opts.dataset, {
          ...(opts.labels ? { labels: opts.labels } : {}),
          ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        });
        if (limit !== undefined) atMostSamples('--limit', limit, all.labels.length, opts.dataset);
        const data = takeSamples(all, limit);
        const { checkShape } = await import('@mixnsqueeze/core');
        checkShape(model.space, data.x, `dataset '${opts.dataset}'`);
        ctx.accept?.();
        const n = data.labels.length;
        const bar = ctx.interactive ? new (await import('cli-progress')).SingleBar({ format: 'evaluate [{bar}] {value}/{total} predictions', stream: process.stderr }) : undefined;
        bar?.start(n * (specs.length > 0 ? 2 : 1), 0);
        const clean = await accuracy(model, data.x, data.labels, bar);
        const withDefense = specs.length > 0 ? await accuracy(defended, data.x, data.labels, bar) : undefined;
        bar?.stop();
        if (opts.json) {
          ctx.stdout(
            `${JSON.stringify({ model: opts.model, dataset: opts.dataset, samples: n, accuracy: clean, ...(withDefense !== undefined ? { defense: specs, defendedAccuracy: withDefense } : {}) })}\n`,
          );
          return;
        }
        ctx.stdout(`${opts.model} on ${opts.dataset} (${n} samples): clean accuracy ${pct(clean)}\n`);
        if (withDefense !== undefined) ctx.stdout(`with defense ${specs.join(' -> ')}: accuracy ${pct(withDefense)}\n`);
      } finally {
        await releaseModel(model);
      }
    });
}
