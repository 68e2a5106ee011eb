import { Worker } from 'node:worker_threads';
import { WorkerCrashError } from './worker-crash-error.ts';

/**
 * Worker protocol. A worker posts `ready` (with whatever it wants the owner to know) or `failed`
 * once, then answers each `job` message with `done` or `error` carrying the job's id.
 */
type WorkerMessage =
  | { readonly type: 'ready'; readonly info: unknown }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'done'; readonly id: number; readonly body: unknown }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** One unit of work. `message` is asked again for the replacement slot when a worker dies. */
export interface PoolJob<R> {
  /** The message posted to the worker in `slot` (transferables are copied, so it may be asked twice). */
  message(slot: number): unknown;
  /** Turns the worker's answer into the job's result. */
  result(slot: number, body: unknown): R;
  /**
   * The slot whose worker must run the job (one that holds state from an earlier job). A
   * replacement worker in that slot runs it too (it must cope with the state being gone); when the
   * slot cannot be restarted at all, any worker does.
   */
  readonly slot?: number;
}

interface Pending {
  readonly id: number;
  readonly job: PoolJob<unknown>;
  readonly resolve: (r: unknown) => void;
  readonly reject: (e: unknown) => void;
  attempts: number;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  dead: boolean;
  job: Pending | undefined;
  /** Settles when the current worker has started (posted ready or failed) or exited. */
  started: Promise<void>;
}

/**
 * A fixed-size pool of worker threads running one script. Jobs queue in order and go to the first
 * idle worker. A worker that dies is replaced and its job retried once on the replacement; a
 * second death fails the job with `WorkerCrashError`. Idle workers are unref'd, so a forgotten
 * pool never keeps the process alive; `close()` terminates them.
 */
export class WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  readonly #script: URL;
  readonly #workerData: unknown;
  readonly #slots: Slot[];
  readonly #queue: Pending[] = [];
  #nextId = 0;
  #closed = false;
  #replaced = 0;

  private constructor(script: URL, workerData: unknown, size: number) {
    this.#script = script;
    this.#workerData = workerData;
    this.size = size;
    this.#slots = Array.from({ length: size }, (_, index) => ({ index, worker: undefined, ready: false, dead: false, job: undefined, started: Promise.resolve() }));
  }

  /** Starts `size` workers and waits for all to be ready; returns the pool and the first `ready` info. */
  static async start(script: URL, workerData: unknown, size: number): Promise<{ pool: WorkerPool; info: unknown }> {
    const pool = new WorkerPool(script, workerData, size);
    try {
      const infos = await Promise.all(pool.#slots.map((s) => pool.#spawn(s)));
      return { pool, info: infos[0] };
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /** Workers replaced after dying so far (for monitoring and tests). */
  get replaced(): number {
    return this.#replaced;
  }

  /** Queues a job; it resolves with the job's result, or rejects when its worker died twice or the pool closed. */
  run<R>(job: PoolJob<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new WorkerCrashError('worker pool: already closed. Create a new classifier.'));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, resolve: resolve as (r: unknown) => void, reject, attempts: 0 });
      this.#pump();
    });
  }

  /** Rejects pending jobs and terminates the workers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new WorkerCrashError('worker pool: closed while a job was pending. Await predictions before close().');
    for (const p of this.#queue.splice(0)) p.reject(closed);
    for (const s of this.#slots) s.job?.reject(closed);
    // A worker still starting is inside native code (an ONNX Runtime session being created):
    // terminating it there can take the whole process down, so it is terminated once it has
    // started or exited.
    await Promise.all(
      this.#slots.map(async (s) => {
        await s.started;
        await s.worker?.terminate();
      }),
    );
  }

  #spawn(slot: Slot): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.#script, { workerData: this.#workerData });
      slot.worker = worker;
      slot.ready = false;
      let started!: () => void;
      slot.started = new Promise((r) => (started = r));
      worker.once('exit', () => started());
      let failure: Error | undefined;
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready' || m.type === 'failed') started();
        if (slot.worker !== worker) return;
        if (m.type === 'ready') {
          slot.ready = true;
          worker.unref();
          resolve(m.info);
          this.#pump();
        } else if (m.type === 'failed') {
          failure = new Error(m.message);
        } else {
          this.#settle(slot, m);
        }
      });
      worker.on('error', (e) => {
        failure = e;
      });
      worker.on('exit', (code) => {
        if (slot.worker !== worker || this.#closed) return;
        slot.worker = undefined;
        if (!slot.ready) {
          reject(failure ?? new Error(`worker exited with code ${code} before it was ready`));
          return;
        }
        this.#onDeath(slot, failure?.message ?? `exit code ${code}`);
      });
    });
  }

  #settle(slot: Slot, m: Extract<WorkerMessage, { id: number }>): void {
    const p = slot.job;
    if (!p || p.id !== m.id) return;
    slot.job = undefined;
    slot.worker?.unref();
    if (m.type === 'error') p.reject(new Error(m.message));
    else {
      try {
        p.resolve(p.job.result(slot.index, m.body));
      } catch (e) {
        p.reject(e);
      }
    }
    this.#pump();
  }

  #onDeath(slot: Slot, why: string): void {
    const p = slot.job;
    slot.job = undefined;
    slot.ready = false;
    if (p) {
      p.attempts++;
      if (p.attempts > 1) p.reject(new WorkerCrashError(`worker pool: a worker died twice on the same job (${why}); giving up on it.`));
      else this.#queue.unshift(p);
    }
    this.#replaced++;
    this.#spawn(slot).catch((e: unknown) => {
      slot.dead = true;
      if (this.#slots.every((s) => s.dead)) {
        const err = new WorkerCrashError(`worker pool: no worker could be restarted (${(e as Error).message}).`);
        for (const q of this.#queue.splice(0)) q.reject(err);
      }
      // Jobs bound to this slot may run elsewhere now.
      this.#pump();
    });
  }

  /** Whether `slot` may run queued job `p`: unbound jobs, jobs bound to it, jobs bound to a dead slot. */
  #fits(p: Pending, slot: Slot): boolean {
    const bound = p.job.slot;
    return bound === undefined || bound === slot.index || !!this.#slots[bound]?.dead;
  }

  /** Gives each idle worker the first queued job it may run, in queue order. */
  #pump(): void {
    for (const slot of this.#slots) {
      while (slot.ready && !slot.job && slot.worker) {
        const k = this.#queue.findIndex((p) => this.#fits(p, slot));
        if (k < 0) break;
        const p = this.#queue.splice(k, 1)[0]!;
        let body: unknown;
        try {
          body = p.job.message(slot.index);
        } catch (e) {
          p.reject(e);
          continue;
        }
        slot.job = p;
        slot.worker.ref();
        slot.worker.postMessage({ type: 'job', id: p.id, body });
      }
    }
  }
}
