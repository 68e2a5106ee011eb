export * from './cache-key.ts';
export * from './fingerprint.ts';
export * from './report-json.ts';
export * from './adversarial-cache.ts';
