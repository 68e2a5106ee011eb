import { MixnsqueezeError } from '@mixnsqueeze/core';

/** A pool worker died twice on the same shard (its replacement too), or none could be started. */
export class WorkerCrashError extends MixnsqueezeError {
  constructor(message: string) {
    super('E_WORKER', message);
  }
}
