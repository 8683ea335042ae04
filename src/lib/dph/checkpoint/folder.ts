/**
 * A checkpoint folder (Hugging Face layout: config.json, model.safetensors, tokenizer.json, …) wherever it lives:
 * files the user picked or dropped in the page, a folder served over HTTP (static/checkpoints/…), or a directory
 * in Node (src/node/checkpoint-folder.ts). The loader only ever asks for a file by name.
 */
import { type ByteSource, ByteSourceError, blobSource, urlSource } from './source';

export interface CheckpointFolder {
	/** Shown in messages and the model card: the folder name or URL. */
	name: string;
	/** The named file, or null when the folder does not have it. */
	file(name: string): Promise<ByteSource | null>;
}

/** Files from a directory picker, an <input webkitdirectory> or drag & drop; matched by base name. */
export function filesFolder(files: Iterable<File>, name?: string): CheckpointFolder {
	const byName = new Map<string, File>();
	let folder = name;
	for (const f of files) {
		const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
		const parts = rel.split('/');
		folder ??= parts.length > 1 ? parts[parts.length - 2] : undefined;
		// The first file of a name wins: a nested folder's config.json must not replace the top-level one.
		if (!byName.has(f.name)) byName.set(f.name, f);
	}
	return {
		name: folder ?? 'dropped files',
		async file(n) {
			const f = byName.get(n);
			return f ? blobSource(f, n) : null;
		},
	};
}

/** A folder served over HTTP; missing files are a 404. Large files are read with Range requests. */
export function urlFolder(base: string, opts: { fetch?: typeof fetch } = {}): CheckpointFolder {
	const root = base.endsWith('/') ? base : `${base}/`;
	const doFetch = opts.fetch ?? fetch;
	return {
		// The folder's own name, as a directory would be called: ".../checkpoints/nano-echo-sepdph/" → "nano-echo-sepdph".
		name: decodeURIComponent(root.split('/').filter(Boolean).at(-1) ?? root),
		async file(n) {
			const url = new URL(n, new URL(root, (globalThis as { location?: { href: string } }).location?.href)).href;
			try {
				return await urlSource(url, { fetch: doFetch });
			} catch (e) {
				// The size probe doubles as the existence check: a 404 means the folder does not have the file.
				if (e instanceof ByteSourceError && e.status === 404) return null;
				throw e;
			}
		},
	};
}

/** Read a whole (small) file as text: config.json, tokenizer.json. */
export async function readText(src: ByteSource): Promise<string> {
	return new TextDecoder().decode(await src.read(0, src.size));
}
