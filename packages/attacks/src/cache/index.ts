export * from './cache-key.ts';
export * from './fingerprint.ts';
export * from './adversarial-cache.ts';
export * from './code-fingerprint.ts';
