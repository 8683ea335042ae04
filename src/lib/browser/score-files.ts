/**
 * Getting a checkpoint folder's files: from IndexedDB (trained in this browser), a directory picker, an
 * <input webkitdirectory>, or a drag & drop of a folder (or of its files). Subfolders are not descended into: a checkpoint is one flat folder.
 */
import { readStoredCheckpoint } from '$lib/browser/checkpoint-idb';

/** The files of a checkpoint trained and stored in this browser, or null when it is no longer there. */
export async function storedFiles(name: string): Promise<File[] | null> {
	const c = await readStoredCheckpoint(name);
	if (!c) return null;
	return Object.entries(c.files).map(
		([file, data]) => new File([typeof data === 'string' ? data : new Uint8Array(data)], file),
	);
}

interface DirHandle {
	name: string;
	values(): AsyncIterable<{ kind: 'file' | 'directory'; name: string; getFile?: () => Promise<File> }>;
}

export const canPickDirectory = (): boolean =>
	typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

/** Files of a folder chosen with the File System Access picker; null when the user cancels. */
export async function pickDirectory(): Promise<{ name: string; files: File[] } | null> {
	const pick = (globalThis as unknown as { showDirectoryPicker: (o?: object) => Promise<DirHandle> })
		.showDirectoryPicker;
	let dir: DirHandle;
	try {
		dir = await pick({ mode: 'read' });
	} catch (e) {
		if ((e as Error).name === 'AbortError') return null;
		throw e;
	}
	const files: File[] = [];
	for await (const entry of dir.values()) {
		if (entry.kind === 'file' && entry.getFile) files.push(await entry.getFile());
	}
	return { name: dir.name, files };
}

interface Entry {
	isFile: boolean;
	isDirectory: boolean;
	name: string;
	file?(ok: (f: File) => void, err: (e: unknown) => void): void;
	createReader?(): { readEntries(ok: (es: Entry[]) => void, err: (e: unknown) => void): void };
}

const fileOf = (e: Entry) => new Promise<File>((ok, err) => e.file?.(ok, err));

async function children(dir: Entry): Promise<Entry[]> {
	const reader = dir.createReader?.();
	if (!reader) return [];
	const all: Entry[] = [];
	// readEntries returns at most 100 entries per call; an empty batch means the end.
	for (;;) {
		const batch = await new Promise<Entry[]>((ok, err) => reader.readEntries(ok, err));
		if (!batch.length) return all;
		all.push(...batch);
	}
}

/** Files from a drop: a dropped folder gives its files (and its name), dropped files are taken as they are. */
export async function filesFromDrop(dt: DataTransfer): Promise<{ name?: string; files: File[] }> {
	const entries: Entry[] = [];
	for (const item of dt.items) {
		const e = (item.webkitGetAsEntry?.() ?? null) as Entry | null;
		if (e) entries.push(e);
	}
	const dir = entries.find((e) => e.isDirectory);
	if (dir) {
		const files = await Promise.all((await children(dir)).filter((e) => e.isFile).map(fileOf));
		return { name: dir.name, files };
	}
	return { files: [...dt.files] };
}
