import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { type Command } from 'commander';
import { ParameterError } from '@mixnsqueeze/core';
import { builtinConfig } from '../../experiment/builtin-configs.ts';
import { cliEnvironment } from '../../experiment/cli-environment.ts';
import { type ExperimentConfig, readConfigFile } from '../../experiment/config.ts';
import { ResultStore } from '../../experiment/result-store.ts';
import { runIdOf } from '../../experiment/run-id.ts';
import { runExperiment } from '../../experiment/runner.ts';
import { runtimeVersions } from '../../experiment/versions.ts';
import { FIDELITY_NOTES } from '../../report/fidelity-notes.ts';
import { loadReportData } from '../../report/report-data.ts';
import { writeReport } from '../../report/render-report.ts';
import { accuracyTable, markdownTable } from '../../report/tables.ts';
import { type CliContext } from '../context.ts';
import { stageProgress } from '../progress.ts';

interface ReproduceOptions {
  quick?: boolean;
  config?: string;
  db: string;
  out?: string;
  json?: boolean;
  adversary?: string;
}

/**
 * `mixnsqueeze reproduce <mnist|fashion-mnist> [--quick]`: runs the paper's evaluation grid
 * (or a config file), storing every cell as it finishes (an interrupted run resumes), then writes
 * the report.
 */
export function registerReproduceCommand(program: Command, ctx: CliContext): void {
  program
    .command('reproduce')
    .description("run the paper's evaluation (tables 1-3, figures 5-7) and write the report; resumes where it stopped")
    .argument('<dataset>', 'mnist or fashion-mnist')
    .option('--quick', 'the reduced grid (minutes on two cores) instead of the full protocol')
    .option('--config <file>', 'an experiment config (.json/.yaml) instead of the built-in grid')
    .option('--db <file>', 'results database', 'results/mixnsqueeze.db')
    .option('--out <dir>', 'report directory (default reports/<run id>)')
    .option('--adversary <spec>', "adversary of the measured games (default the config's, else greedy:m=<m>); see `mixnsqueeze list`")
    .option('--json', 'print the results summary as JSON')
    .action(async (dataset: string, opts: ReproduceOptions) => {
      if (!['mnist', 'fashion-mnist'].includes(dataset)) throw new ParameterError(`reproduce: dataset must be mnist or fashion-mnist, got '${dataset}'.`);
      const chosen: ExperimentConfig = opts.config
        ? await readConfigFile(opts.config)
        : builtinConfig(dataset === 'mnist' ? (opts.quick ? 'mnist-quick' : 'mnist-paper') : opts.quick ? 'fashion-mnist-quick' : 'fashion-mnist');
      const config: ExperimentConfig = opts.adversary ? { ...chosen, adversary: opts.adversary } : chosen;
      const registry = await ctx.registry();
      registry.adversary(config.adversary ?? `greedy:m=${config.m}`);
      for (const a of [...config.attacks, ...config.adaptive]) registry.create('attack', a.spec);
      for (const s of config.squeezers) for (const spec of s.specs) registry.squeezer(spec);
      const runId = runIdOf(config);
      mkdirSync(join(opts.db, '..'), { recursive: true });
      const store = new ResultStore(opts.db);
      const resumed = store.run(runId) !== undefined;
      store.openRun(runId, config, runtimeVersions());
      ctx.stderr(`${resumed ? 'resuming' : 'starting'} run ${runId} (${config.description || config.name}); results in ${opts.db}\n`);
      const progress = await stageProgress(ctx, opts.json);
      const { env, close } = await cliEnvironment(config, registry, (line) => ctx.stderr(`${line}\n`));
      const started = performance.now();
      try {
        await runExperiment(config, env, store, runId, progress.update);
      } finally {
        progress.stop();
        await close();
      }
      const data = loadReportData(store, runId)!;
      store.close();
      const out = opts.out ?? join('reports', runId);
      await writeReport(data, out, FIDELITY_NOTES);
      const seconds = (performance.now() - started) / 1000;
      if (opts.json) {
        ctx.stdout(`${JSON.stringify({ run: runId, db: opts.db, report: join(out, 'report.html'), seconds, tables: [accuracyTable(data, false), accuracyTable(data, true)] }, null, 2)}\n`);
        return;
      }
      ctx.stdout(`${markdownTable(accuracyTable(data, false))}\n${markdownTable(accuracyTable(data, true))}\n`);
      ctx.stdout(`report: ${join(out, 'report.html')} and report.md (${seconds.toFixed(0)} s)\n`);
    });
}
