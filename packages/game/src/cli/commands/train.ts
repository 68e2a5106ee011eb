import { type Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { join } from 'node:path';
import { ParameterError } from '@mixnsqueeze/core';
import { type TfjsBackendName } from '@mixnsqueeze/backends';
import { type CliContext } from '../context.ts';

interface TrainOptions {
  epochs?: string;
  seed?: string;
  out?: string;
  backend?: TfjsBackendName;
  dataDir?: string;
}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new ParameterError(`${name}: expected a positive integer, got '${text}'.`);
  return v;
}

/**
 * `mixnsqueeze train <mnist|fashion-mnist>`: trains the zoo's CNN reproducibly (fixed seed) and
 * resumably (a checkpoint per epoch; re-running continues), writing model.json, weights.bin and
 * training-log.json to --out.
 */
export function registerTrainCommand(program: Command, ctx: CliContext): void {
  program
    .command('train')
    .description("train the zoo's Carlini CNN on a built-in dataset (resumable: re-run to continue)")
    .argument('<dataset>', 'dataset: mnist | fashion-mnist')
    .option('--epochs <n>', 'epochs (default: the recipe of the shipped model)')
    .option('--seed <n>', 'integer seed of initialisation, shuffling and dropout (default 1)')
    .option('--out <dir>', 'output directory (default: models/<dataset>)')
    .option('--backend <name>', 'tfjs backend: node-gpu | node | wasm | cpu (default: fastest available)')
    .option('--data-dir <dir>', 'directory of the IDX files (fashion-mnist)')
    .action(async (dataset: string, opts: TrainOptions) => {
      // Loaded on use: tfjs takes seconds to import, which other commands should not pay.
      const { DATASET_IDS, RECIPES, isDatasetId, trainZooModel } = await import('@mixnsqueeze/backends');
      if (!isDatasetId(dataset)) throw new ParameterError(`train: unknown dataset '${dataset}'; expected one of ${DATASET_IDS.join(', ')}.`);
      const recipe = RECIPES[dataset];
      const epochs = positiveInt('--epochs', opts.epochs, recipe.epochs);
      const bar = ctx.interactive ? new SingleBar({ format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches, loss {loss}', stream: process.stderr }) : undefined;
      const log = await trainZooModel(dataset, {
        epochs,
        seed: positiveInt('--seed', opts.seed, recipe.seed),
        outDir: opts.out ?? join('models', dataset),
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        log: ctx.stderr,
        onBatch: (epoch, done, total, loss) => {
          if (!bar) return;
          if (done === 1) bar.start(total, 0, { epoch, epochs, loss: '-' });
          bar.update(done, { epoch, epochs, loss: loss.toFixed(4) });
          if (done === total) bar.stop();
        },
        onEpoch: (r, resumed) =>
          ctx.stderr(
            `epoch ${r.epoch}/${epochs}${resumed ? ' (from checkpoint)' : ''}: loss ${r.loss.toFixed(4)}, train ${(100 * r.trainAccuracy).toFixed(2)}%, test ${(100 * r.testAccuracy).toFixed(2)}%, ${r.seconds} s\n`,
          ),
      });
      ctx.stdout(`${dataset}: test accuracy ${(100 * log.testAccuracy).toFixed(2)}% on ${log.testSize} images; model in ${opts.out ?? join('models', dataset)}\n`);
    });
}
