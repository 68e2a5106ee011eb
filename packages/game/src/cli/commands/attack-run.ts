import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { ParameterError, checkShape, gatherRows, writeBatchFile } from '@mixnsqueeze/core';
import { type AttackBase, type AttackReport, type AdversarialSetKey, AdversarialCache, defaultCacheDir, fingerprintArray, fingerprintFiles, makeSurface } from '@mixnsqueeze/attacks';
import { freshMasterSeed, parseMasterSeed } from '../../experiment/master-seed.ts';
import { modelFingerprint } from '../../experiment/model-fingerprint.ts';
import { firstCorrect } from '../../experiment/seed-selection.ts';
import type { CliContext } from '../context.ts';
import { atMostSamples } from '../counts.ts';
import { type ModelOptions, loadDefendedModel, releaseModel } from './defended-model.ts';

/** The options of `mixnsqueeze attack`, as commander parses them. */
export interface AttackOptions extends Omit<ModelOptions, 'seed'> {
  /** The attack's own seed (an integer): its random starts and estimates, never the defense's keys. */
  seed: string;
  /** Master seed of the defense's keys during the attack (hex); default: fresh from the OS. */
  keySeed?: string;
  dataset: string;
  labels?: string;
  dataDir?: string;
  surface?: string;
  target: 'untargeted' | 'next' | 'll';
  n: string;
  out: string;
  json?: boolean;
  cache: boolean;
  cacheDir?: string;
  batchSize: string;
  uint8?: boolean;
}

function positiveInt(text: string, what: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < 1) throw new ParameterError(`${what}: expected a positive integer, got '${text}'.`);
  return v;
}

/** A built-in dataset by id; files by content. */
async function datasetFingerprint(opts: AttackOptions): Promise<string> {
  if (!existsSync(opts.dataset) || statSync(opts.dataset).isDirectory()) return `${opts.dataset}${opts.dataDir ? `@${opts.dataDir}` : ''}`;
  return fingerprintFiles([opts.dataset, ...(opts.labels ? [opts.labels] : [])]);
}

const mean = (values: Float64Array, success: Uint8Array): number | null => {
  let s = 0;
  let c = 0;
  success.forEach((ok, i) => {
    if (ok) (s += values[i]!), c++;
  });
  return c ? s / c : null;
};

function summarize(r: AttackReport, extra: Record<string, unknown>) {
  const n = r.success.length;
  const successes = r.success.reduce((a, b) => a + b, 0);
  const norms = r.perturbationNorms;
  return {
    ...extra,
    attack: r.attack,
    surface: r.surface,
    samples: n,
    successes,
    successRate: n ? successes / n : 0,
    meanNorms: { l0: mean(norms.l0, r.success), l2: mean(norms.l2, r.success), linf: mean(norms.linf, r.success) },
    queries: r.queries,
    elapsedMs: r.elapsedMs,
  };
}

/**
 * The work of `mixnsqueeze attack` (see attack.ts for its options): loaded when the command runs,
 * so that its libraries are not part of the CLI's start-up.
 */
export async function runAttackCommand(ctx: CliContext, spec: string, opts: AttackOptions): Promise<void> {
  const n = positiveInt(opts.n, '--n');
  const batchSize = positiveInt(opts.batchSize, '--batch-size');
  if (!/^\d+$/.test(opts.seed)) throw new ParameterError(`--seed: expected a non-negative integer, got '${opts.seed}'.`);
  const attack = (await ctx.registry()).create<AttackBase<object>>('attack', spec);
  // The defense's keys come from a master seed of their own, never from the attack's public
  // --seed: fresh from the OS unless --key-seed replays an earlier run's.
  const keySeed = opts.keySeed !== undefined ? parseMasterSeed('--key-seed', opts.keySeed) : freshMasterSeed();
  const { model, defended, specs } = await loadDefendedModel(ctx, { ...opts, seed: keySeed });
  const randomized = defended.stochastic && specs.length > 0;
  try {
    const { loadDataset } = await import('@mixnsqueeze/backends');
    const data = await loadDataset(opts.dataset, { ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
    checkShape(model.space, data.x, `dataset '${opts.dataset}'`);
    atMostSamples('--n', n, data.labels.length, opts.dataset);
    const indices = await firstCorrect(model, data.x, data.labels, n);
    if (indices.length === 0) throw new ParameterError(`the model classifies none of the ${data.labels.length} samples of '${opts.dataset}' correctly; nothing to attack.`);
    if (indices.length < n) ctx.stderr(`only ${indices.length} of ${data.labels.length} samples are classified correctly; attacking those.\n`);
    // Checked here, not first inside the attack, so a typo gets its error line alone.
    if (opts.surface) makeSurface(defended, opts.surface, opts.seed);
    ctx.accept?.();
    const x = gatherRows(data.x, indices);
    const labels = Int32Array.from(indices, (i) => data.labels[i]!);
    const key: AdversarialSetKey = {
      model: await modelFingerprint(opts.model),
      defense: specs,
      dataset: await datasetFingerprint(opts),
      slice: `first-correct:${indices.length}:${fingerprintArray(indices)}`,
      attack: attack.spec,
      surface: opts.surface ?? 'default',
      target: opts.target,
      seed: opts.seed,
      // A randomized defense's set depends on its keys: the cache keys it by a digest of the
      // key seed (the seed itself is not written to disk).
      extra: { batchSize, ...(opts.uint8 ? { roundTo: 'uint8' } : {}), ...(randomized ? { keys: createHash('sha256').update(keySeed).digest('hex').slice(0, 16) } : {}) },
    };
    const run = async (): Promise<AttackReport> => {
      const bar = ctx.interactive ? new (await import('cli-progress')).SingleBar({ stream: process.stderr, format: `${attack.id} [{bar}] {value}/{total} samples | {duration_formatted}` }) : undefined;
      bar?.start(indices.length, 0);
      try {
        return await attack.run(defended, x, labels, {
          target: opts.target,
          seed: opts.seed,
          batchSize,
          ...(opts.uint8 ? { roundTo: 'uint8' as const } : {}),
          ...(opts.surface ? { surface: opts.surface } : {}),
          onProgress: (done) => bar?.update(Math.floor(done)),
        });
      } finally {
        bar?.stop();
      }
    };
    const cache = opts.cache ? new AdversarialCache(opts.cacheDir ?? defaultCacheDir(), (m) => ctx.stderr(`${m}\n`)) : undefined;
    const { report, hit } = cache ? await cache.getOrCreate(key, run) : { report: await run(), hit: false };
    await writeBatchFile(opts.out, report.adversarial);
    const summary = summarize(report, { model: opts.model, dataset: opts.dataset, defense: specs, target: opts.target, seed: Number(opts.seed), ...(randomized ? { keySeed } : {}), cached: hit, out: opts.out });
    if (opts.json) {
      ctx.stdout(`${JSON.stringify(summary)}\n`);
      return;
    }
    const f = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));
    ctx.stdout(
      [
        `${summary.attack} on ${opts.model}${specs.length ? ` behind ${specs.join(' -> ')}` : ''}, surface ${summary.surface}, target ${opts.target}, ${summary.samples} samples of ${opts.dataset}`,
        `success ${(100 * summary.successRate).toFixed(2)}% (${summary.successes}/${summary.samples}); mean norms of the successes: L0 ${f(summary.meanNorms.l0, 1)}, L2 ${f(summary.meanNorms.l2, 4)}, Linf ${f(summary.meanNorms.linf, 4)}`,
        `time ${(summary.elapsedMs / 1000).toFixed(2)} s; model queries ${summary.queries.forward} forward, ${summary.queries.gradient} gradient${hit ? ' (read from the cache, not regenerated)' : ''}`,
        ...(randomized ? [`defense keys: master seed ${keySeed} (replay with --key-seed ${keySeed})`] : []),
        `wrote ${opts.out}`,
      ].join('\n') + '\n',
    );
  } finally {
    await releaseModel(model);
  }
}
