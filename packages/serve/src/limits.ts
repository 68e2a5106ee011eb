import { ParameterError } from '@mixnsqueeze/core';

/** The service's limits; each one exceeded is a clear JSON error, never a crash. */
export interface ServiceLimits {
  /** Most samples in one request (413 above it). Default 256. */
  readonly maxBatch: number;
  /** Most bytes in one request body (413 above it). Default 8 MiB: 256 MNIST digits as JSON fit. */
  readonly bodyLimit: number;
  /** Most milliseconds a request may wait for and run the model (504 after it). Default 10,000. */
  readonly timeoutMs: number;
  /** Model calls that run at the same time. Default 1 (the model's own threads use the cores). */
  readonly concurrency: number;
  /** Model calls that may wait for a slot; beyond them requests get 503 with Retry-After. Default 64. */
  readonly maxQueued: number;
}

/** The defaults of {@link ServiceLimits}. */
export const DEFAULT_LIMITS: ServiceLimits = Object.freeze({ maxBatch: 256, bodyLimit: 8 * 1024 * 1024, timeoutMs: 10_000, concurrency: 1, maxQueued: 64 });

/** The limits with defaults filled in, each checked (ParameterError naming the limit). */
export function resolveLimits(given: Partial<ServiceLimits> = {}): ServiceLimits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [key, value] of Object.entries(limits)) {
    const min = key === 'maxQueued' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < min) throw new ParameterError(`limit ${key} = ${value}: expected an integer >= ${min}.`);
  }
  return Object.freeze(limits);
}
