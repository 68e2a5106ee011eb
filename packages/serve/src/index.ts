export * from './service.ts';
export * from './token-store.ts';
export * from './limits.ts';
export * from './duration.ts';
export { ServiceMetrics } from './metrics.ts';
export { WorkQueue, QueueAbortError } from './work-queue.ts';
export { SpendBatcher } from './spend-batcher.ts';
