import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { datasetLabel } from '@mixnsqueeze/backends';
import { builtinConfig } from '../../experiment/builtin-configs.ts';
import { cliEnvironment } from '../../experiment/cli-environment.ts';
import { type ExperimentConfig, readConfigFile } from '../../experiment/config.ts';
import { ResultStore } from '../../experiment/result-store.ts';
import { runExperiment } from '../../experiment/runner.ts';
import { settleRun } from '../../experiment/settle-run.ts';
import { runtimeVersions } from '../../experiment/versions.ts';
import { fidelityNotesFor } from '../../report/fidelity-notes.ts';
import { writeReport } from '../../report/render-report.ts';
import { loadReportData } from '../../report/report-data.ts';
import { accuracyTable, markdownTable } from '../../report/tables.ts';
import type { CliContext } from '../context.ts';
import type { CheckedArguments, ReproduceOptions } from './reproduce.ts';
import { stageProgress } from '../progress.ts';

/**
 * The work of `mixnsqueeze reproduce` (see reproduce.ts for its options): loaded when the command
 * runs, so that configs, models, data, SQLite and the report's libraries are not part of the CLI's
 * start-up.
 */
export async function runReproduceCommand(ctx: CliContext, dataset: string, opts: ReproduceOptions, checked: CheckedArguments): Promise<void> {
  const { names, queue } = checked;
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
}
