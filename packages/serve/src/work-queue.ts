/** Thrown by {@link WorkQueue.run} when the signal aborts a task before it started. */
export class QueueAbortError extends Error {
  constructor() {
    super('the task was abandoned while it waited in the queue');
    this.name = 'QueueAbortError';
  }
}

interface Waiting {
  readonly start: () => void;
  readonly abandon: () => void;
}

/**
 * A bounded queue of model work: at most `concurrency` tasks run at once and at most `maxQueued`
 * wait. The server checks {@link WorkQueue.isFull} before it spends a client's budget, so overload
 * is answered (503) without costing the client an attempt and without unbounded memory.
 */
export class WorkQueue {
  readonly #waiting: Waiting[] = [];
  #running = 0;
  #idle: (() => void)[] = [];

  /**
   * @param concurrency Tasks run at the same time (model calls in flight), at least 1.
   * @param maxQueued Tasks that may wait for a slot, at least 0.
   */
  constructor(
    readonly concurrency: number,
    readonly maxQueued: number,
  ) {}

  /** Tasks waiting for a slot. */
  get depth(): number {
    return this.#waiting.length;
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running;
  }

  /**
   * Whether a new task would be refused: the running, waiting and `coming` tasks (admitted, not yet
   * handed to {@link WorkQueue.run}) fill every slot and the queue.
   */
  isFull(coming = 0): boolean {
    return this.#running + this.#waiting.length + coming >= this.concurrency + this.maxQueued;
  }

  /**
   * Runs `task` when a slot is free. If `signal` aborts while the task still waits, it is taken
   * out of the queue and never runs (QueueAbortError); a task that started runs to its end.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#running >= this.concurrency) {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new QueueAbortError());
        const entry: Waiting = {
          start: () => {
            signal?.removeEventListener('abort', entry.abandon);
            resolve();
          },
          abandon: () => {
            const i = this.#waiting.indexOf(entry);
            if (i >= 0) this.#waiting.splice(i, 1);
            reject(new QueueAbortError());
          },
        };
        signal?.addEventListener('abort', entry.abandon, { once: true });
        this.#waiting.push(entry);
      });
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next task, so `running` never dips between them.
      if (next) next.start();
      else {
        this.#running--;
        if (this.#running === 0) for (const f of this.#idle.splice(0)) f();
      }
    }
  }

  /** Resolves when nothing runs or waits. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
