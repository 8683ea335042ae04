/**
 * Trained checkpoints kept in this browser (IndexedDB) and written out as a Hugging Face folder.
 */
import { createStore, get, keys, set, type UseStore } from 'idb-keyval';
import type { CheckpointFiles } from '../train/trainer';

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
export async function saveCheckpoint(c: StoredCheckpoint): Promise<void> {
	await set(c.name, c, db());
}

export async function loadCheckpoint(name: string): Promise<StoredCheckpoint | undefined> {
	return get<StoredCheckpoint>(name, db());
}

export async function listCheckpoints(): Promise<string[]> {
	return (await keys<string>(db())).sort();
}

/**
 * Write the folder with the File System Access API where the browser has it (Chromium: pick a folder, files land
 * in a subfolder named after the checkpoint); otherwise download the files one by one.
 */
export async function downloadCheckpoint(name: string, files: CheckpointFiles): Promise<'folder' | 'files'> {
	const picker = (globalThis as { showDirectoryPicker?: (o?: unknown) => Promise<FileSystemDirectoryHandle> })
		.showDirectoryPicker;
	if (picker) {
		try {
			const parent = await picker({ mode: 'readwrite' });
			const dir = await parent.getDirectoryHandle(name, { create: true });
			for (const [file, data] of Object.entries(files)) {
				const w = await (await dir.getFileHandle(file, { create: true })).createWritable();
				await w.write(data as BlobPart);
				await w.close();
			}
			return 'folder';
		} catch (e) {
			if ((e as Error).name === 'AbortError') throw e;
			// Permission refused or unsupported: fall back to plain downloads.
		}
	}
	for (const [file, data] of Object.entries(files)) {
		const a = document.createElement('a');
		a.href = URL.createObjectURL(new Blob([data as BlobPart]));
		a.download = `${name}__${file}`;
		a.click();
		setTimeout(() => URL.revokeObjectURL(a.href), 2000);
	}
	return 'files';
}
