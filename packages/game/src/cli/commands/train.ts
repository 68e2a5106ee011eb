import type { Command } from 'commander';
import { join } from 'node:path';
import { ParameterError } from '@mixnsqueeze/core/errors';
import type { TfjsBackendName } from '@mixnsqueeze/backends';
import type { CliContext } from '../context.ts';
import { positiveCount } from '../counts.ts';

interface TrainOptions {
  epochs?: string;
  seed?: string;
  out?: string;
  backend?: TfjsBackendName;
  dataDir?: string;
  checkpointMinutes?: string;
}

/** Far beyond any recipe (50 epochs): a larger count is a typo, and would run for years. */
const MAX_EPOCHS = 10_000;

function positiveInt(name: string, text: string | undefined, fallback: number, max?: { value: number; why: string }): number {
  return text === undefined ? fallback : positiveCount(name, text, max);
}

function nonNegative(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new ParameterError(`${name}: expected a number >= 0, got '${text}'.`);
  return v;
}

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;

/**
 * `mixnsqueeze train <mnist|fashion-mnist>`: trains the zoo's CNN with the dataset's recipe
 * (mnist: Carlini's SGD + Nesterov, 50 epochs, 5,000 validation digits held out) reproducibly
 * (fixed seed) and resumably (a checkpoint after every epoch and every few minutes inside one;
 * re-running the same command continues), writing model.json, weights.bin and training-log.json to
 * --out. Per epoch it prints loss, train, validation and test accuracy and images/s.
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
    .option('--checkpoint-minutes <m>', 'also checkpoint inside an epoch every m minutes (default 5)')
    .action(async (dataset: string, opts: TrainOptions) => {
      // Loaded on use: tfjs takes seconds to import, which other commands should not pay.
      const { DATASET_IDS, RECIPES, isDatasetId, trainZooModel } = await import('@mixnsqueeze/backends');
      if (!isDatasetId(dataset)) throw new ParameterError(`train: unknown dataset '${dataset}'; expected one of ${DATASET_IDS.join(', ')}.`);
      const recipe = RECIPES[dataset];
      const epochs = positiveInt('--epochs', opts.epochs, recipe.epochs, { value: MAX_EPOCHS, why: 'the epochs a training run may take' });
      const checkpointMinutes = nonNegative('--checkpoint-minutes', opts.checkpointMinutes, 5);
      let barEpoch = 0;
      const bar = ctx.interactive ? new (await import('cli-progress')).SingleBar({ format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches, loss {loss}', stream: process.stderr }) : undefined;
      const log = await trainZooModel(dataset, {
        epochs,
        seed: positiveInt('--seed', opts.seed, recipe.seed),
        outDir: opts.out ?? join('models', dataset),
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        checkpointMinutes,
        log: ctx.stderr,
        onBatch: (epoch, done, total, loss) => {
          // Training has begun: the dataset and options were accepted.
          ctx.accept?.();
          if (!bar) return;
          if (barEpoch !== epoch) {
            barEpoch = epoch;
            bar.start(total, done - 1, { epoch, epochs, loss: '-' });
          }
          bar.update(done, { epoch, epochs, loss: loss.toFixed(4) });
          if (done === total) bar.stop();
        },
        onCheckpoint: (p, steps, resumed) => {
          ctx.accept?.();
          // A line per checkpoint is the progress of a run without a terminal (nohup, CI).
          if (bar && !resumed) return;
          const rate = p.trainSeconds > 0 ? `, ${Math.round((p.step * recipe.batchSize) / p.trainSeconds)} images/s` : '';
          ctx.stderr(
            `epoch ${p.epoch}/${epochs}: ${resumed ? 'resuming from the checkpoint at' : 'checkpoint at'} batch ${p.step}/${steps}, loss ${(p.lossSum / Math.max(1, p.step * recipe.batchSize)).toFixed(4)}${rate}\n`,
          );
        },
        onEpoch: (r, resumed) =>
          ctx.stderr(
            `epoch ${r.epoch}/${epochs}${resumed ? ' (from checkpoint)' : ''}: loss ${r.loss.toFixed(4)}, train ${pct(r.trainAccuracy)}` +
              `${r.validationAccuracy === undefined ? '' : `, validation ${pct(r.validationAccuracy)}`}, test ${pct(r.testAccuracy)}` +
              `, ${Math.round(r.imagesPerSecond)} images/s, ${r.seconds} s\n`,
          ),
      });
      const held = log.validationAccuracy === undefined ? '' : ` (validation ${pct(log.validationAccuracy)} on ${log.validationSize})`;
      ctx.stdout(`${dataset}: test accuracy ${pct(log.testAccuracy)} on ${log.testSize} images${held}; model in ${opts.out ?? join('models', dataset)}\n`);
    });
}
