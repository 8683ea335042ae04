/**
 * Where a trained checkpoint came from, for its training_config.json: the starting checkpoint (its path and the
 * sha256 of its model.safetensors), the run it resumed, the freezing and the final metrics. Hashing is Web Crypto
 * (crypto.subtle), which the page, workers and Node all have, so the same record can be written anywhere.
 */
import type { CheckpointFolder } from '../checkpoint/folder';
import type { TrainConfig } from './config';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
	// digest copies nothing it does not need, but a view into a larger buffer must be cut to its own bytes.
	const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
	const d = new Uint8Array(await crypto.subtle.digest('SHA-256', own as Uint8Array<ArrayBuffer>));
	return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** sha256 of a folder's file, or null when the folder has no such file. Reads the file whole. */
export async function folderFileSha256(folder: CheckpointFolder, name = 'model.safetensors'): Promise<string | null> {
	const src = await folder.file(name);
	return src ? sha256Hex(await src.read(0, src.size)) : null;
}

export interface CheckpointRef {
	path: string;
	/** sha256 of its model.safetensors. */
	sha256: string | null;
}

export interface Provenance {
	/** The starting checkpoint; null for a random preset model. */
	from: CheckpointRef | null;
	/** The cDPO reference checkpoint when it is not the starting weights. */
	refFrom: CheckpointRef | null;
	/** The checkpoint this run resumed, and the step it held. */
	resumedFrom: { path: string; step: number } | null;
	freezing: {
		trainable: TrainConfig['trainable'];
		frozen: string[];
		trainableEmbeddings: boolean;
		frozenTensors: number;
	};
	/** The reward head trained, and whether the frozen backbone ran once (cached) rather than every step. */
	head: string;
	backboneCached: boolean;
	/** model.safetensors' dtype. */
	dtype: string;
	/** The last validation of the weights written (null when none ran), and the step they come from. */
	metrics: Record<string, unknown> | null;
	diverged: { step: number; quantity: string; rolledBackTo: number | null } | null;
}

/**
 * training_config.json: the run's config (the JSONL text left out: it can be large, and `data_jsonl_sha256` names
 * it) followed by `provenance`. The config fields stay at the top so the file still reads as a training config.
 */
export function trainingConfigJson(cfg: TrainConfig, p: Provenance, jsonlSha256: string | null): string {
	const record = {
		...cfg,
		data: { ...cfg.data, jsonl: undefined },
		...(jsonlSha256 ? { data_jsonl_sha256: jsonlSha256 } : {}),
		provenance: {
			from: p.from,
			ref_from: p.refFrom,
			resumed_from: p.resumedFrom,
			freezing: {
				trainable: p.freezing.trainable,
				frozen: p.freezing.frozen,
				trainable_embeddings: p.freezing.trainableEmbeddings,
				frozen_tensors: p.freezing.frozenTensors,
			},
			head: p.head,
			backbone_cached: p.backboneCached,
			dtype: p.dtype,
			final_metrics: p.metrics,
			diverged: p.diverged,
		},
	};
	return `${JSON.stringify(record, null, 2)}\n`;
}
