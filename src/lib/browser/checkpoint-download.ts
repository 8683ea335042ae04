/**
 * Writing a trained checkpoint out of the browser (File System Access API or plain downloads). Browser only: it
 * touches `document` and `showDirectoryPicker`, so it lives outside src/lib/dph, which also runs in Node and workers.
 */
import type { CheckpointFiles } from '$lib/dph/train/trainer';
import { downloadBlob } from './download';

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
	for (const [file, data] of Object.entries(files)) downloadBlob(new Blob([data as BlobPart]), `${name}__${file}`);
	return 'files';
}
