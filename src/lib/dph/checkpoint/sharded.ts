/**
 * The weights of a checkpoint folder: `model.safetensors`, or the shards `model.safetensors.index.json` names
 * (transformers' save_pretrained splits large models as model-0000i-of-0000n.safetensors). Shards are opened for
 * their headers only; tensors are still read one at a time, each from its own shard, so a sharded model loads with
 * the same memory as a single file.
 */

import { FileError } from './file-error';
import type { CheckpointFolder } from './folder';
import { readText } from './folder';
import { openSafetensors, type SafetensorsFile, type TensorInfo } from './safetensors';
import type { ByteSource } from './source';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export class ShardError extends FileError {
	override name = 'ShardError';
}

export interface Weights {
	/** Every tensor of every shard behind one reader; `source.size` is the shards' total size. */
	file: SafetensorsFile;
	/** The file messages name: model.safetensors, or the index. */
	name: string;
	/** The shard file names, in index order (one entry for a single file). */
	shards: string[];
}

/** Open the folder's weights; null when it has neither model.safetensors nor the index (the caller says what is missing). */
export async function openWeights(folder: CheckpointFolder): Promise<Weights | null> {
	const single = await folder.file(SINGLE_FILE);
	if (single) return { file: await openSafetensors(single), name: SINGLE_FILE, shards: [SINGLE_FILE] };
	const index = await folder.file(INDEX_FILE);
	return index ? openSharded(folder, index) : null;
}

function weightMap(text: string): Map<string, string> {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (e) {
		throw new ShardError(`${INDEX_FILE} is not valid JSON: ${(e as Error).message}`, INDEX_FILE);
	}
	const map = (json as { weight_map?: unknown } | null)?.weight_map;
	if (typeof map !== 'object' || map === null || Array.isArray(map)) {
		throw new ShardError(`${INDEX_FILE} has no "weight_map" object (tensor name → shard file)`, INDEX_FILE);
	}
	const out = new Map<string, string>();
	for (const [name, shard] of Object.entries(map)) {
		if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\')) {
			throw new ShardError(
				`${INDEX_FILE}: weight_map["${name}"] must be a file name in the folder, got ${JSON.stringify(shard)}`,
				INDEX_FILE,
			);
		}
		out.set(name, shard);
	}
	return out;
}

async function openSharded(folder: CheckpointFolder, index: ByteSource): Promise<Weights> {
	const map = weightMap(await readText(index));
	const shards = [...new Set(map.values())];
	const files = new Map<string, SafetensorsFile>();
	for (const s of shards) {
		const src = await folder.file(s);
		if (!src) {
			const n = [...map.values()].filter((v) => v === s).length;
			throw new ShardError(`${folder.name}: ${s} is missing; ${INDEX_FILE} puts ${n} tensor(s) in it`, s);
		}
		files.set(s, await openSafetensors(src));
	}
	const owner = new Map<string, SafetensorsFile>();
	const tensors: TensorInfo[] = [];
	for (const [name, s] of map) {
		const f = files.get(s) as SafetensorsFile;
		const info = f.tensor(name);
		if (!info) throw new ShardError(`${s} has no tensor ${name}, which ${INDEX_FILE} says it holds`, s);
		owner.set(name, f);
		tensors.push(info);
	}
	// Shard by shard, in file order within each: the order a single stream reads them.
	tensors.sort(
		(a, b) => shards.indexOf(map.get(a.name) ?? '') - shards.indexOf(map.get(b.name) ?? '') || a.offset - b.offset,
	);
	const size = [...files.values()].reduce((a, f) => a + f.source.size, 0);
	const source: ByteSource = {
		name: INDEX_FILE,
		size,
		read: () => Promise.reject(new ShardError(`${INDEX_FILE}: read tensors by name, not by byte offset`, INDEX_FILE)),
	};
	const byName = new Map(tensors.map((t) => [t.name, t]));
	const file: SafetensorsFile = {
		source,
		headerLength: 0,
		metadata: {},
		tensors,
		tensor: (name) => byName.get(name),
		read(name) {
			const f = owner.get(name);
			return f ? f.read(name) : Promise.reject(new ShardError(`no shard holds a tensor named ${name}`, INDEX_FILE));
		},
		async *entries(onProgress) {
			let done = 0;
			for (const t of tensors) {
				const data = await file.read(t.name);
				done += t.byteLength;
				onProgress?.(done, size);
				yield { info: t, data };
			}
		},
	};
	return { file, name: INDEX_FILE, shards };
}
