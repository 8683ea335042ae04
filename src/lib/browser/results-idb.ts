/**
 * The results store of the browser: IndexedDB (through idb-keyval), one entry per sweep name holding its results
 * in append order. Works in the page and in the compute worker, so the worker appends as runs finish and a reload
 * of the page finds them. Browser (and worker) only, so it lives outside src/lib/dph; the Node one is
 * src/node/results-jsonl.ts.
 */
import { createStore, del, get, keys, type UseStore, update } from 'idb-keyval';
import type { ResultsStore, RunResult } from '$lib/dph/sweep/results';

let db: UseStore | null = null;
/** Opened on first use, never at import, so server-side rendering does not touch IndexedDB. */
function store(): UseStore {
	db ??= createStore('dph-sweeps', 'results');
	return db;
}

export class IdbResultsStore implements ResultsStore {
	constructor(readonly sweep: string) {}

	async load(): Promise<RunResult[]> {
		return (await get<RunResult[]>(this.sweep, store())) ?? [];
	}

	async append(r: RunResult): Promise<void> {
		// update() reads and writes in one transaction, so two appends cannot lose each other.
		await update<RunResult[]>(this.sweep, (old) => [...(old ?? []), r], store());
	}

	clear(): Promise<void> {
		return del(this.sweep, store());
	}
}

/** Names of the sweeps that have results in this browser. */
export async function storedSweeps(): Promise<string[]> {
	return (await keys<string>(store())).filter((k) => typeof k === 'string');
}
