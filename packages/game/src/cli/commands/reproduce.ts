import type { Command } from 'commander';
import { ParameterError } from '@mixnsqueeze/core/errors';
import { type QueueUrl, parseQueueUrl } from '../../cluster/queue-url.ts';
import type { CliContext } from '../context.ts';

/** The options of `mixnsqueeze reproduce`, as commander parses them. */
export interface ReproduceOptions {
  quick?: boolean;
  config?: string;
  db: string;
  out?: string;
  json?: boolean;
  adversary?: string;
  dataDir?: string;
  model?: string;
  seed?: string;
  queue?: string;
}

/** The built-in grids of each dataset: the full protocol and the quick one. */
const BUILTIN_GRIDS: Record<string, [full: string, quick: string]> = {
  mnist: ['mnist-paper', 'mnist-quick'],
  'fashion-mnist': ['fashion-mnist', 'fashion-mnist-quick'],
  cifar10: ['cifar10-paper', 'cifar10-quick'],
  imagenet: ['imagenet-paper', 'imagenet-quick'],
  // Minutes in full already: --quick runs the same grid.
  penguins: ['penguins', 'penguins'],
};

/** What {@link checkArguments} settled: the dataset's built-in grids and the parsed queue. */
export interface CheckedArguments {
  readonly names: readonly [full: string, quick: string];
  readonly queue: QueueUrl | undefined;
}

/** The arguments that need no library, checked before any loads: bad input fails in a fraction of a second. */
function checkArguments(dataset: string, opts: ReproduceOptions): CheckedArguments {
  const names = BUILTIN_GRIDS[dataset];
  if (!names) throw new ParameterError(`reproduce: dataset must be ${Object.keys(BUILTIN_GRIDS).join(', ')}, got '${dataset}'.`);
  if (dataset === 'cifar10' && !opts.dataDir && !opts.config) {
    throw new ParameterError('reproduce cifar10: pass --data-dir <dir> with the CIFAR-10 test set (test_batch.bin, or one folder of PNG/JPEG images per class); CIFAR-10 is not embedded.');
  }
  if (dataset === 'imagenet' && !opts.dataDir && !opts.config) {
    throw new ParameterError('reproduce imagenet: pass --data-dir <dir> with ImageNet validation images (a dataset.txt or val.txt labels file, or WordNet-id class folders); ImageNet is not embedded.');
  }
  // A bad queue URL is bad input: refused before anything loads.
  const queue = opts.queue === undefined ? undefined : parseQueueUrl(opts.queue);
  return { names, queue };
}

/**
 * `mixnsqueeze reproduce <mnist|fashion-mnist|cifar10|imagenet|penguins> [--quick] [--data-dir <dir>] [--model <id|path>]`:
 * runs the paper's evaluation grid (or a config file), storing every cell as it finishes (an interrupted run resumes), then writes
 * the report.
 */
export function registerReproduceCommand(program: Command, ctx: CliContext): void {
  program
    .command('reproduce')
    .description("run the paper's evaluation (tables 1-3, figures 5-7; CIFAR-10: tables 1-2, figures 8-9; ImageNet: tables 1-2) and write the report; resumes where it stopped")
    .argument('<dataset>', 'mnist, fashion-mnist, cifar10, imagenet or penguins')
    .option('--data-dir <dir>', 'the test data: required for cifar10 (official binary batches, or class folders of PNG/JPEG) and imagenet (a dataset.txt/val.txt labels file, or WordNet-id class folders); for the others, a folder replacing the built-in data')
    .option('--model <id|path>', "zoo id, model.json or .onnx replacing the config's model (attacks need a differentiable tfjs model)")
    .option('--quick', 'the reduced grid (minutes on two cores) instead of the full protocol')
    .option('--config <file>', 'an experiment config (.json/.yaml) instead of the built-in grid')
    .option('--db <file>', 'results database', 'results/mixnsqueeze.db')
    .option('--out <dir>', 'report directory (default reports/<run id>)')
    .option('--adversary <spec>', "adversary of the measured games (default the config's, else greedy:m=<m>); see `mixnsqueeze list`")
    .option('--seed <hex>', 'replay a run: its master seed, shown in its report (default: resume an unfinished run of the same grid in --db, else a fresh seed from the OS)')
    .option('--queue <redis-url>', 'spread the run over `mixnsqueeze worker` processes through BullMQ on this Redis (redis://[:password@]host[:port][/db]; see docs/guides/cluster.md); results still go to --db')
    .option('--json', 'print the results summary as JSON')
    .action(async (dataset: string, opts: ReproduceOptions) => {
      const checked = checkArguments(dataset, opts);
      await (await import('./reproduce-run.ts')).runReproduceCommand(ctx, dataset, opts, checked);
    });
}
