/**
 * Trained checkpoints kept in this browser (IndexedDB). Browser (and worker) only, so it lives outside src/lib/dph;
 * writing one out as a folder or downloads is checkpoint-download.ts.
 */
import { createStore, get, keys, set, type UseStore } from 'idb-keyval';
import type { CheckpointFiles } from '$lib/dph/train/trainer';

export interface StoredCheckpoint {
	name: string;
	savedAt: number;
	summary: Record<string, unknown>;
	files: CheckpointFiles;
}

let store: UseStore | null = null;
const db = () => {
	store ??= createStore('dph-workbench-checkpoints', 'checkpoints');
	return store;
};

/**
 * One record holding every file, written by one put in one readwrite transaction (idb-keyval's set): IndexedDB
 * commits a transaction whole or not at all, so a tab closed or crashed mid-save leaves the previous checkpoint of
 * that name, never some files of each. Keep it one record: splitting the files over keys or transactions breaks this.
 */
export async function saveStoredCheckpoint(c: StoredCheckpoint): Promise<void> {
	await set(c.name, c, db());
}

export async function readStoredCheckpoint(name: string): Promise<StoredCheckpoint | undefined> {
	return get<StoredCheckpoint>(name, db());
}

export async function listStoredCheckpoints(): Promise<string[]> {
	return (await keys<string>(db())).sort();
}
