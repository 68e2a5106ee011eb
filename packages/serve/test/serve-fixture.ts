import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, Classifier } from '@mixnsqueeze/core';
import { type Dataset, loadClassifier, loadMnist, takeSamples } from '@mixnsqueeze/backends';
import { Median, UniformNoise } from '@mixnsqueeze/squeezers';
import { type DefendedService, type DefendedServiceOptions, TokenStore, createDefendedService } from '../src/index.ts';

/** The zoo's MNIST model (Carlini's CNN on ONNX Runtime), loaded once per test file. */
let model: Promise<Classifier> | undefined;
export function mnistModel(): Promise<Classifier> {
  return (model ??= loadClassifier('mnist', { log: () => {} }));
}

/** Releases the model's worker threads (afterAll), so the test process can exit. */
export async function releaseMnist(): Promise<void> {
  const m = (await model) as { close?: () => Promise<void> } | undefined;
  model = undefined;
  await m?.close?.();
}

/** The first `n` digits of the official MNIST test split. */
export function digits(n: number): Dataset {
  return takeSamples(loadMnist('test'), n);
}

/** A batch as the JSON a client sends. */
export function jsonBody(x: Batch): string {
  return JSON.stringify({ shape: x.shape, data: Array.from(x.data) });
}

/**
 * A real classifier whose predictions wait until the test opens the gate: lets a test hold a
 * model call in flight (queue full, time limit, drain) without relying on timing.
 */
export class GatedClassifier implements Classifier {
  readonly space;
  readonly classes;
  readonly stochastic = false;
  #open!: () => void;
  #gate: Promise<void>;
  /** Calls that reached the gate. */
  arrived = 0;
  #arrival: (() => void)[] = [];

  constructor(readonly base: Classifier) {
    this.space = base.space;
    this.classes = base.classes;
    this.#gate = new Promise((r) => (this.#open = r));
  }

  async predict(x: Batch): Promise<Batch> {
    this.arrived++;
    for (const f of this.#arrival.splice(0)) f();
    await this.#gate;
    return this.base.predict(x);
  }

  /** Resolves once `n` calls have reached the gate. */
  async waitFor(n: number): Promise<void> {
    while (this.arrived < n) await new Promise<void>((r) => this.#arrival.push(r));
  }

  /** Lets every held call (and all later ones) through. */
  open(): void {
    this.#open();
  }
}

/** A running service on a free local port with its own token database. */
export interface Running {
  readonly url: string;
  readonly service: DefendedService;
  readonly store: TokenStore;
  readonly db: string;
  readonly dir: string;
  /** Creates a client and returns its token. */
  token(name: string, budget: number, window?: number): string;
  /** Drains the service and closes the store (the db file stays for a restart). */
  stop(): Promise<void>;
}

const dirs: string[] = [];

/** Removes the temporary folders of every service started (afterAll). */
export function removeServiceDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Starts a service in front of `base` (default: the MNIST model behind uniform:0.5 + median:2x2)
 * on 127.0.0.1 and a free port, with a fresh database unless `db` names one.
 */
export async function startService(options: Partial<DefendedServiceOptions> & { db?: string } = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'mns-serve-'));
  dirs.push(dir);
  const db = options.db ?? join(dir, 'tokens.db');
  const store = new TokenStore(db);
  const service = await createDefendedService({
    model: options.model ?? (await mnistModel()),
    defense: options.defense ?? { randomize: new UniformNoise(0.5), squeeze: [new Median(2)] },
    ...options,
    store,
  });
  const url = await service.listen({ port: 0 });
  return {
    url,
    service,
    store,
    db,
    dir,
    token: (name, budget, window = 3_600_000) => store.create(name, budget, window).token,
    async stop() {
      await service.close();
      store.close();
    },
  };
}

/** POSTs a body to /v1/classify with a token and returns status, headers and parsed JSON. */
export async function classify(url: string, token: string | undefined, body: string | Uint8Array, type = typeof body === 'string' ? 'application/json' : 'application/octet-stream'): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': type };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${url}/v1/classify`, { method: 'POST', headers, body });
  return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
}
