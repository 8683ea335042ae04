/**
 * Checkpoint-load benchmark, the part that runs anywhere (page, worker, Node): stream every tensor of a safetensors
 * file through `openSafetensors(...).entries()`, converting to float32, and measure throughput and memory.
 *
 * What is measured: wall time from opening the file (prefix + header) to the last tensor converted, i.e. reads plus
 * validation plus F16/BF16 → F32 conversion; MB/s is file bytes (10^6) per second. No tfjs tensors are created —
 * holding and uploading the model is the caller's job. With `keep` false each float32 array is dropped after use
 * (the streaming floor: about one tensor in flight); with `keep` true all arrays are held, as a model load would,
 * so peak memory over the float32 weight size is the number docs/BENCHMARKS.md bounds (≤ 1.2×).
 * The Node runner with a generated file is in src/cli/bench/checkpoint-harness.ts.
 */
import { openSafetensors } from '../checkpoint/safetensors';
import type { ByteSource } from '../checkpoint/source';
import { type LSWTConfig, preset, REFERENCE_DEFAULTS } from '../model/config';
import { countParameters } from '../model/lswt';

/**
 * The paper's medium LSWT (the paper's released medium model: vocab 50272, d_vocab 768, d_model 1536, 18 layers, 24 heads, d_ffn 4096)
 * with the SwiGLU pooler and one reward head, about 0.55 B parameters: ≈ 1.1 GB in F16.
 */
export const MEDIUM_CONFIG: LSWTConfig = {
	...REFERENCE_DEFAULTS,
	d_model: 1536,
	d_ffn: 4096,
	n_heads: 24,
	n_layers: 18,
	reward_heads: ['reward'],
	reward_pooler: 'swiglu_bert',
};

export type CheckpointBenchModel = 'medium' | 'tiny' | 'nano' | LSWTConfig;

export function checkpointBenchConfig(model: CheckpointBenchModel): { name: string; config: LSWTConfig } {
	if (typeof model !== 'string') return { name: 'custom', config: model };
	if (model === 'medium') return { name: model, config: MEDIUM_CONFIG };
	// The full OPT vocabulary, so even the small presets have a realistically large embedding.
	return { name: model, config: preset(model, REFERENCE_DEFAULTS.vocab_size) };
}

export interface LoadMeasurement {
	tensors: number;
	fileBytes: number;
	/** Size of all weights as float32 (what holding the model costs). */
	fp32Bytes: number;
	largestTensorFp32Bytes: number;
	seconds: number;
	/** File megabytes (10^6 bytes) per second. */
	mbPerS: number;
	/** Highest value `sampleMemory` returned during the load (bytes), or null without a sampler. */
	peakMemory: number | null;
}

export interface MeasureOptions {
	/** Hold every float32 array until the end (like a model load) instead of dropping each after use. */
	keep?: boolean;
	/** Current memory use in bytes (Node: RSS), sampled after each tensor is converted, when memory is highest. */
	sampleMemory?: () => number;
	onProgress?: (done: number, total: number) => void;
}

export async function measureStreamedLoad(source: ByteSource, opts: MeasureOptions = {}): Promise<LoadMeasurement> {
	const kept: Float32Array[] = [];
	let peak: number | null = opts.sampleMemory ? opts.sampleMemory() : null;
	let fp32Bytes = 0;
	let largest = 0;
	let tensors = 0;
	const t0 = performance.now();
	const file = await openSafetensors(source);
	for await (const { data } of file.entries(opts.onProgress)) {
		tensors++;
		fp32Bytes += data.byteLength;
		largest = Math.max(largest, data.byteLength);
		if (opts.sampleMemory) peak = Math.max(peak ?? 0, opts.sampleMemory());
		if (opts.keep) kept.push(data);
	}
	const seconds = (performance.now() - t0) / 1000;
	kept.length = 0;
	return {
		tensors,
		fileBytes: source.size,
		fp32Bytes,
		largestTensorFp32Bytes: largest,
		seconds,
		mbPerS: source.size / 1e6 / seconds,
		peakMemory: peak,
	};
}

export function parameterCount(model: CheckpointBenchModel): number {
	return countParameters(checkpointBenchConfig(model).config);
}
