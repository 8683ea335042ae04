/**
 * Ablation sweeps: spec → runs → runner → results store → table. Environment-specific stores live in
 * src/node/results-jsonl.ts (JSONL file) and src/lib/browser/results-idb.ts (IndexedDB) and are imported from there
 * directly, so neither environment bundles the other's.
 */
export * from './aggregate';
export * from './results';
export * from './runner';
export * from './shard';
export * from './spec';
