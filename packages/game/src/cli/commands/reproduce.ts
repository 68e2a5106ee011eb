import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { ParameterError } from '@mixnsqueeze/core/errors';
import type { ExperimentConfig } from '../../experiment/config.ts';
import type { ResultStore } from '../../experiment/result-store.ts';
import type { settleRun } from '../../experiment/settle-run.ts';
import type { CliContext } from '../context.ts';

interface ReproduceOptions {
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

const BUILTIN: Record<string, [full: string, quick: string]> = {
  mnist: ['mnist-paper', 'mnist-quick'],
  'fashion-mnist': ['fashion-mnist', 'fashion-mnist-quick'],
  cifar10: ['cifar10-paper', 'cifar10-quick'],
  imagenet: ['imagenet-paper', 'imagenet-quick'],
  // Minutes in full already: --quick runs the same grid.
  penguins: ['penguins', 'penguins'],
};

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
      const names = BUILTIN[dataset];
      if (!names) throw new ParameterError(`reproduce: dataset must be ${Object.keys(BUILTIN).join(', ')}, got '${dataset}'.`);
      if (dataset === 'cifar10' && !opts.dataDir && !opts.config) {
        throw new ParameterError('reproduce cifar10: pass --data-dir <dir> with the CIFAR-10 test set (test_batch.bin, or one folder of PNG/JPEG images per class); CIFAR-10 is not embedded.');
      }
      if (dataset === 'imagenet' && !opts.dataDir && !opts.config) {
        throw new ParameterError('reproduce imagenet: pass --data-dir <dir> with ImageNet validation images (a dataset.txt or val.txt labels file, or WordNet-id class folders); ImageNet is not embedded.');
      }
      // A bad queue URL is bad input: refused before anything loads.
      const queue = opts.queue === undefined ? undefined : (await import('../../cluster/queue-url.ts')).parseQueueUrl(opts.queue);
      // Loaded when needed: configs, models, data, SQLite and plotting libraries are not part of the CLI's start-up.
      const [{ datasetLabel }, { cliEnvironment }, { runExperiment }, { writeReport }, { builtinConfig }, { readConfigFile }, { ResultStore }, { settleRun }, { runtimeVersions }, { fidelityNotesFor }, { loadReportData }, { accuracyTable, markdownTable }, { stageProgress }] =
        await Promise.all([
          import('@mixnsqueeze/backends'),
          import('../../experiment/cli-environment.ts'),
          import('../../experiment/runner.ts'),
          import('../../report/render-report.ts'),
          import('../../experiment/builtin-configs.ts'),
          import('../../experiment/config.ts'),
          import('../../experiment/result-store.ts'),
          import('../../experiment/settle-run.ts'),
          import('../../experiment/versions.ts'),
          import('../../report/fidelity-notes.ts'),
          import('../../report/report-data.ts'),
          import('../../report/tables.ts'),
          import('../progress.ts'),
        ]);
      const chosen: ExperimentConfig = opts.config ? await readConfigFile(opts.config) : builtinConfig(names[opts.quick ? 1 : 0]);
      const dataOverride = opts.dataDir ? { dataset: resolve(opts.dataDir), testSet: datasetLabel(resolve(opts.dataDir), { split: 'test' }) } : {};
      const config: ExperimentConfig = {
        ...chosen,
        ...dataOverride,
        ...(opts.model ? { model: opts.model } : {}),
        ...(opts.adversary ? { adversary: opts.adversary } : {}),
      };
      const registry = await ctx.registry();
      registry.adversary(config.adversary ?? `greedy:m=${config.m}`);
      for (const a of [...config.attacks, ...config.adaptive]) registry.create('attack', a.spec);
      for (const s of config.squeezers) for (const spec of s.specs) registry.squeezer(spec);
      // The model and data load before the database opens: a bad --model or --data-dir leaves no
      // database and no empty run behind. A coordinator (--queue) loads neither: its workers do.
      const loaded = queue ? undefined : await cliEnvironment(config, registry, (line) => ctx.stderr(line.endsWith('\n') ? line : `${line}\n`));
      const close = async () => loaded?.close();
      let store: ResultStore;
      let settled: ReturnType<typeof settleRun>;
      try {
        mkdirSync(join(opts.db, '..'), { recursive: true });
        store = new ResultStore(opts.db);
        settled = settleRun(store, config, opts.seed);
      } catch (e) {
        await close();
        throw e;
      }
      const { runId } = settled;
      const resumed = store.run(runId) !== undefined;
      store.openRun(runId, settled.config, runtimeVersions());
      const seedNote = { replayed: 'master seed from --seed', config: "master seed from the config", resumed: 'master seed stored with the run', fresh: 'fresh master seed from the OS, shown when the run has finished' }[settled.origin];
      ctx.stderr(`${resumed ? 'resuming' : 'starting'} run ${runId} (${config.description || config.name}; ${seedNote}); results in ${opts.db}\n`);
      if (!opts.quick && names[0] !== names[1] && loaded) {
        const { env } = loaded;
        // A rough guide before hours of work: gradient counts and forward passes times measured rates.
        try {
          const { estimateCost } = await import('../../experiment/cost-estimate.ts');
          ctx.stderr(`${await estimateCost(settled.config, registry, env.model, env.test)}\n`);
        } catch (e) {
          ctx.stderr(`no cost estimate: ${(e as Error).message}\n`);
        }
      }
      const progress = await stageProgress(ctx);
      const started = performance.now();
      try {
        if (queue) {
          ctx.stderr(`cells go through the queue at ${queue.display}; start workers with: mixnsqueeze worker --queue ${queue.display}\n`);
          const { coordinateRun } = await import('../../cluster/coordinator.ts');
          await coordinateRun({ url: queue, store, runId, config: settled.config, progress: progress.update, log: (line) => ctx.stderr(`${line}\n`) });
        } else await runExperiment(settled.config, loaded!.env, store, runId, progress.update);
      } finally {
        progress.stop();
        await close();
      }
      const data = loadReportData(store, runId)!;
      store.close();
      const out = opts.out ?? join('reports', runId);
      await writeReport(data, out, fidelityNotesFor(data.config));
      const seconds = (performance.now() - started) / 1000;
      if (opts.json) {
        ctx.stdout(`${JSON.stringify({ run: runId, seed: settled.config.seed, db: opts.db, report: join(out, 'report.html'), seconds, tables: [accuracyTable(data, false), accuracyTable(data, true)] }, null, 2)}\n`);
        return;
      }
      ctx.stdout(`${markdownTable(accuracyTable(data, false))}\n${markdownTable(accuracyTable(data, true))}\n`);
      ctx.stdout(`report: ${join(out, 'report.html')} and report.md (${seconds.toFixed(0)} s)\n`);
      ctx.stdout(`master seed: ${settled.config.seed} (replay: mixnsqueeze reproduce ${dataset}${opts.quick ? ' --quick' : ''} --seed ${settled.config.seed})\n`);
    });
}
