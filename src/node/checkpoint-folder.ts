/** A checkpoint folder on disk (Node only: imports node:fs). */
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CheckpointFolder } from '../lib/dph/checkpoint/folder';
import { recoverFolder } from './checkpoint-folder-write';
import { fileSource } from './file-source';

export async function dirFolder(path: string): Promise<CheckpointFolder> {
	const dir = resolve(path);
	// A writer killed while swapping folders leaves the old one aside as `.NAME.old-…`; move it back first.
	await recoverFolder(dir);
	const s = await stat(dir).catch(() => null);
	if (!s) throw new Error(`${path}: no such checkpoint folder`);
	if (!s.isDirectory())
		throw new Error(`${path} is not a folder: pass the folder that holds config.json and model.safetensors`);
	return {
		name: basename(dir),
		async file(n) {
			const f = join(dir, n);
			const st = await stat(f).catch(() => null);
			return st?.isFile() ? fileSource(f, n) : null;
		},
	};
}
