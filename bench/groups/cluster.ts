import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Classifier, type Registry, isDifferentiable } from '@mixnsqueeze/core';
import { loadClassifier } from '@mixnsqueeze/backends';
import { defend } from '@mixnsqueeze/squeezers';
import { builtinConfig, builtinRegistry } from '@mixnsqueeze/game';
import { type CellNode, cellGraph } from '../../packages/game/src/experiment/cells.ts';
import { gradientsPerSeed } from '../../packages/game/src/experiment/cost-estimate.ts';
import { type ExperimentConfig } from '../../packages/game/src/experiment/config.ts';
import { ResultStore } from '../../packages/game/src/experiment/result-store.ts';
// The cluster tests' own redis-server on a free port: one way to start it for tests and bench.
import { startRedis } from '../../packages/game/test/cluster-redis.ts';
import { type BenchGroup } from '../measurement.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'packages/game/bin/mixnsqueeze.js');
const NODE = [process.execPath, '--conditions=@mixnsqueeze/source', '--import', 'tsx'];
const SEED = '0123456789abcdef0123456789abcdef';
/** Worker process counts to time (MNS_BENCH_CLUSTER_WORKERS, default 1,2,4). */
const WORKERS = (process.env.MNS_BENCH_CLUSTER_WORKERS ?? '1,2,4').split(',').map(Number);
/** The grid: `reproduce mnist` with these flags (MNS_BENCH_CLUSTER_ARGS, default the quick protocol). */
const GRID = (process.env.MNS_BENCH_CLUSTER_ARGS ?? '--quick').split(' ').filter(Boolean);
/** Machines of the estimates for the full CIFAR-10 and ImageNet protocols. */
const MACHINES = [1, 4, 16, 64];

/** Starts a process and resolves once its stderr or stdout has printed `ready`. */
function started(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const seen = (d: Buffer) => {
      text += d.toString();
      if (ready.test(text)) resolve(child);
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.on('exit', (code) => reject(new Error(`${args.slice(-4).join(' ')} exited (${code}): ${text.slice(-600)}`)));
  });
}

/** Runs a process to its end; rejects on a non-zero exit. */
function finished(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => void (err += d.toString()));
  return new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${err.slice(-600)}`)))));
}

/** One `reproduce mnist` run, local or through the queue; its wall time, and its cells as stored. */
async function reproduce(queue?: string): Promise<{ wall: number; cells: Map<string, { result: string; ms: number }> }> {
  const dir = mkdtempSync(join(tmpdir(), 'mns-bench-cluster-'));
  const db = join(dir, 'r.db');
  const t0 = performance.now();
  // A fresh attack cache: every set is made, as on a first run.
  await finished([...NODE, BIN, 'reproduce', 'mnist', ...GRID, '--seed', SEED, '--db', db, '--out', join(dir, 'out'), ...(queue ? ['--queue', queue] : [])], { MIXNSQUEEZE_CACHE: join(dir, 'cache') });
  const wall = (performance.now() - t0) / 1000;
  const store = new ResultStore(db, { readonly: true });
  const run = store.runs()[0]!;
  // Attack summaries carry the attack's wall time (a run's cache serves it to later runs): not compared.
  const cells = new Map(
    store
      .cells(run.id)
      .filter((c) => c.key !== 'done')
      .map((c) => [c.key, { result: JSON.stringify(c.result, (k, v: unknown) => (k === 'elapsedMs' ? undefined : v)), ms: c.elapsedMs }]),
  );
  store.close();
  return { wall, cells };
}

/** Seconds per image of `fn` on a batch of `n`: the best of 5 calls after a warm-up (the least disturbed by other load). */
async function perImage(fn: () => Promise<unknown>, n: number): Promise<number> {
  await fn();
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t);
  }
  return best / 1000 / n;
}

/**
 * The cost of every cell of a config on this machine, from measured per-image rates of its model
 * (random images of its input shape: the data need not be here): an attack cell costs its
 * gradient count (from its parameters) times the measured input-gradient time per seed; a
 * classification cell its defended forward passes (R per image of its set, plus the games' queries)
 * times the measured time of its squeezer row; an adaptive row its gradients.
 */
async function cellCosts(config: ExperimentConfig, registry: Registry, model: Classifier): Promise<Map<string, number>> {
  const n = 16;
  const shape = [n, ...model.space.shape];
  const [lo, hi] = model.space.bounds;
  const x = { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => lo + ((Math.sin(i) + 1) / 2) * (hi - lo)), shape };
  const gradient = isDifferentiable(model) ? await perImage(() => model.vjp(x, { data: new Float32Array(n * model.classes).fill(1 / model.classes), shape: [n, model.classes] }), n) : 0;
  const rowCost = new Map<string, number>();
  for (const s of config.squeezers) {
    const randomize = s.operatingDelta > 0 ? registry.randomizer(`${s.randomizer}:${s.operatingDelta}`) : undefined;
    const defended = defend(model, { squeeze: s.specs.map((spec) => registry.squeezer(spec)), ...(randomize ? { randomize } : {}) });
    rowCost.set(s.label, await perImage(() => defended.predict(x), n));
  }
  const nMax = Math.max(...config.budgets);
  const costs = new Map<string, number>();
  for (const c of cellGraph(config)) {
    if (c.kind === 'attack') costs.set(c.key, gradientsPerSeed(registry, config.attacks.find((a) => a.label === c.label)!.spec).gradients * config.seeds * gradient);
    else if (c.kind === 'eval') {
      const row = config.squeezers.find((s) => s.label === c.squeezer)!;
      const images = c.set === 'legitimate' ? config.legitimate : config.seeds;
      const games = c.set !== 'legitimate' && config.games > 0 && (config.gamesAt === 'all' || c.delta === row.operatingDelta) && nMax <= config.seeds ? config.games * config.m * config.seeds : 0;
      costs.set(c.key, (images * config.repetitions + games) * rowCost.get(c.squeezer)!);
    } else if (c.kind === 'adaptive') {
      const a = config.adaptive.find((r) => r.label === c.label)!;
      costs.set(c.key, gradientsPerSeed(registry, a.spec).gradients * (a.samples ?? config.seeds) * gradient);
    } else costs.set(c.key, 0);
  }
  return costs;
}

/**
 * Wall time of a grid on `machines` workers: list scheduling in the queue's order, each cell
 * starting when a worker is free and its dependencies have finished, plus `overhead` per cell.
 */
export function makespan(graph: readonly CellNode[], cost: (key: string) => number, machines: number, overhead: number): number {
  const end = new Map<string, number>();
  const free = Array.from({ length: machines }, () => 0);
  const pending = graph.filter((c) => c.kind !== 'done');
  while (pending.length > 0) {
    // The next cell: the one whose dependencies finish first (queue order among equals).
    let best = 0;
    let bestReady = Infinity;
    for (const [i, c] of pending.entries()) {
      const ready = Math.max(0, ...c.deps.filter((d) => d !== 'done').map((d) => end.get(d) ?? Infinity));
      if (ready < bestReady) [best, bestReady] = [i, ready];
    }
    const c = pending.splice(best, 1)[0]!;
    const m = free.indexOf(Math.min(...free));
    const start = Math.max(free[m]!, bestReady);
    free[m] = start + cost(c.key) + overhead;
    end.set(c.key, free[m]!);
  }
  return Math.max(...free);
}

/**
 * `reproduce mnist --quick` run locally and through the queue by 1, 2 and 4 `mixnsqueeze worker`
 * processes (each with a fresh attack cache, as separate machines would have), on a redis-server
 * of its own; then the full CIFAR-10 and ImageNet protocols estimated on N machines from cell costs
 * measured on this machine, with the queue overhead measured here.
 */
export const clusterBench: BenchGroup = {
  name: 'cluster',
  description: 'reproduce mnist --quick locally and on 1/2/4 worker processes through BullMQ (wall, speedup, queue overhead per cell); full CIFAR-10 and ImageNet protocols estimated on N machines',
  async run(report) {
    const cores = cpus().length;
    const local = await reproduce();
    const cellCount = local.cells.size;
    report({ bench: 'cluster', case: `local (reproduce mnist ${GRID.join(' ')})`, batch: cellCount, workers: 1, images_per_s: 0, wall_s: Number(local.wall.toFixed(1)) });
    const redis = await startRedis();
    const { url } = redis;
    const caches = mkdtempSync(join(tmpdir(), 'mns-bench-caches-'));
    let oneWorker: { wall: number; compute: number } | undefined;
    try {
      for (const n of WORKERS) {
        const workers = await Promise.all(
          Array.from({ length: n }, (_, i) => started([...NODE, BIN, 'worker', '--queue', url], { MIXNSQUEEZE_CACHE: join(caches, `cache-${n}-${i}`) }, /taking cells/)),
        );
        try {
          const run = await reproduce(url);
          const same = run.cells.size === local.cells.size && [...local.cells].every(([k, c]) => run.cells.get(k)?.result === c.result);
          const cellSeconds = [...run.cells.values()].reduce((a, c) => a + c.ms, 0) / 1000;
          if (n === 1) oneWorker = { wall: run.wall, compute: cellSeconds };
          report({
            bench: 'cluster',
            case: `${n} worker process${n > 1 ? 'es' : ''} through the queue`,
            batch: cellCount,
            workers: n,
            images_per_s: 0,
            wall_s: Number(run.wall.toFixed(1)),
            cell_compute_s: Number(cellSeconds.toFixed(1)),
            speedup_vs_local: Number((local.wall / run.wall).toFixed(2)),
            ...(oneWorker ? { speedup_vs_1_worker: Number((oneWorker.wall / run.wall).toFixed(2)) } : {}),
            // Time the workers were not computing a cell: job round trips, model loads, waiting on dependencies.
            busy_share: Number((cellSeconds / (n * run.wall)).toFixed(2)),
            ...(n === 1 ? { overhead_ms_per_cell: Number(((1000 * (run.wall - cellSeconds)) / cellCount).toFixed(0)) } : {}),
            results_identical: same,
          });
        } finally {
          for (const w of workers) w.kill('SIGTERM');
          await Promise.all(workers.map((w) => new Promise((resolve) => (w.exitCode !== null ? resolve(null) : w.once('exit', resolve)))));
        }
      }
    } finally {
      await redis.stop();
    }
    // The queue's cost per cell, measured on one worker: its wall time less the cells' compute
    // time (job round trips, the worker's model load spread over the cells, Brotli of the sets).
    const overhead = oneWorker === undefined ? 0.1 : Math.max(0, (oneWorker.wall - oneWorker.compute) / cellCount);
    const registry = builtinRegistry();
    for (const name of ['cifar10-paper', 'imagenet-paper']) {
      const config = builtinConfig(name);
      const model = await loadClassifier(config.model);
      try {
        const costs = await cellCosts(config, registry, model);
        const graph = cellGraph(config);
        const serial = [...costs.values()].reduce((a, b) => a + b, 0);
        const longest = Math.max(...costs.values());
        for (const m of MACHINES) {
          const hours = makespan(graph, (k) => costs.get(k) ?? 0, m, overhead) / 3600;
          report({
            bench: 'cluster',
            case: `estimate: ${name} on ${m} machine${m > 1 ? 's' : ''} like this one (${cores} cores each)`,
            batch: graph.length,
            workers: m,
            images_per_s: 0,
            est_hours: Number(hours.toFixed(2)),
            serial_hours: Number((serial / 3600).toFixed(2)),
            longest_cell_hours: Number((longest / 3600).toFixed(2)),
          });
        }
      } finally {
        const closable = model as { close?: () => Promise<void> | void };
        await closable.close?.();
      }
    }
  },
};
