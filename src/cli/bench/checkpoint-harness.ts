/**
 * Node runner for the checkpoint-load benchmark (used by `dph bench`): writes a safetensors file of random F16
 * weights with a model's full parameter shapes to a temporary folder — tensor by tensor in chunks, never the whole
 * file in memory — then streams it back with fileSource + entries() and reports MB/s and peak RSS.
 *
 * The file has just been written, so it is read from the OS page cache: the number is the loader's own speed
 * (syscalls, validation, F16 → F32), the upper bound a warm disk cache gives. A cold read is bounded by the disk.
 * Peak RSS is sampled after every tensor and every few milliseconds; it includes the Node process itself, hence
 * also the baseline-subtracted figure.
 */
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CheckpointBenchModel, checkpointBenchConfig, measureStreamedLoad } from '../../lib/dph/bench/checkpoint';
import { planSafetensors } from '../../lib/dph/checkpoint/safetensors';
import type { LSWTConfig } from '../../lib/dph/model/config';
import { parameterShapes } from '../../lib/dph/model/lswt';
import { privateTempFolder } from '../../node/checkpoint-folder-write';
import { fileSource } from '../../node/file-source';

export interface CheckpointLoadBench {
	model: string;
	parameters: number;
	tensors: number;
	fileBytes: number;
	fp32Bytes: number;
	largestTensorFp32Bytes: number;
	writeSeconds: number;
	loadSeconds: number;
	/** File MB (10^6 bytes) per second of the streamed load. */
	mbPerS: number;
	/** CPU time (user + system) of the process during the load: below loadSeconds when other work shares the cores. */
	cpuSeconds: number;
	keep: boolean;
	baselineRss: number;
	peakRss: number;
	/** peak RSS / float32 weight bytes (target ≤ 1.2 when the weights are kept; docs/BENCHMARKS.md). */
	peakRssRatio: number;
	/** (peak RSS − RSS before loading) / float32 weight bytes: what the load itself added. */
	peakAboveBaselineRatio: number;
}

const CHUNK_ELEMENTS = 1 << 23; // 16 MB of F16 per write

/**
 * Random F16 weights with magnitudes 2^-12 … 2^-4 (the scale of trained weights, all finite and normal), from a
 * seeded xorshift: generating the values must not dominate the benchmark's set-up.
 */
export function writeRandomF16Checkpoint(path: string, config: LSWTConfig, seed = 1): Promise<number> {
	return writeRandomF16Safetensors(path, parameterShapes(config), seed);
}

/** The same for any list of tensor names and shapes (the Llama-family bench's model). */
export async function writeRandomF16Safetensors(
	path: string,
	shapes: readonly [string, number[]][],
	seed = 1,
): Promise<number> {
	const layout = planSafetensors(
		shapes.map(([name, shape]) => ({ name, shape, dtype: 'F16' as const })),
		{ format: 'pt' },
	);
	let s = seed >>> 0 || 1;
	const chunk = new Uint16Array(CHUNK_ELEMENTS);
	const fh = await open(path, 'w');
	try {
		let pos = 0;
		const write = async (bytes: Uint8Array) => {
			let done = 0;
			while (done < bytes.byteLength) {
				const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, pos + done);
				done += bytesWritten;
			}
			pos += bytes.byteLength;
		};
		await write(layout.head);
		for (const t of layout.order) {
			let left = (t.end - t.begin) / 2;
			while (left > 0) {
				const n = Math.min(left, CHUNK_ELEMENTS);
				for (let i = 0; i < n; i++) {
					s ^= s << 13;
					s ^= s >>> 17;
					s ^= s << 5;
					// sign | exponent 3…10 | 10 random mantissa bits
					chunk[i] = (s & 0x83ff) | ((3 + ((s >>> 10) & 7)) << 10);
				}
				await write(new Uint8Array(chunk.buffer, 0, 2 * n));
				left -= n;
			}
		}
		return pos;
	} finally {
		await fh.close();
	}
}

export interface CheckpointBenchOptions {
	/** Folder for the temporary file (default: the OS temp folder). */
	dir?: string;
	config: CheckpointBenchModel;
	/** Hold all float32 arrays until the end, like a model load (default true). */
	keep?: boolean;
	seed?: number;
	onProgress?: (phase: 'write' | 'load', done: number, total: number) => void;
}

export async function benchCheckpointLoad(opts: CheckpointBenchOptions): Promise<CheckpointLoadBench> {
	const { name, config } = checkpointBenchConfig(opts.config);
	const keep = opts.keep ?? true;
	const folder = await privateTempFolder(opts.dir ?? tmpdir(), 'dph-bench-ckpt-');
	const path = join(folder, 'model.safetensors');
	try {
		const tw = performance.now();
		opts.onProgress?.('write', 0, 1);
		await writeRandomF16Checkpoint(path, config, opts.seed);
		const writeSeconds = (performance.now() - tw) / 1000;
		opts.onProgress?.('write', 1, 1);

		// Collect what set-up left behind when the runtime allows it (node --expose-gc), so the baseline is honest.
		(globalThis as { gc?: () => void }).gc?.();
		const rss = () => process.memoryUsage.rss();
		const baselineRss = rss();
		let peakRss = baselineRss;
		const timer = setInterval(() => {
			peakRss = Math.max(peakRss, rss());
		}, 5);
		let m: Awaited<ReturnType<typeof measureStreamedLoad>>;
		const cpu0 = process.cpuUsage();
		try {
			m = await measureStreamedLoad(await fileSource(path), {
				keep,
				sampleMemory: rss,
				onProgress: (d, t) => opts.onProgress?.('load', d, t),
			});
		} finally {
			clearInterval(timer);
		}
		const cpu = process.cpuUsage(cpu0);
		peakRss = Math.max(peakRss, m.peakMemory ?? 0);
		return {
			model: name,
			parameters: m.fp32Bytes / 4,
			tensors: m.tensors,
			fileBytes: m.fileBytes,
			fp32Bytes: m.fp32Bytes,
			largestTensorFp32Bytes: m.largestTensorFp32Bytes,
			writeSeconds,
			loadSeconds: m.seconds,
			mbPerS: m.mbPerS,
			cpuSeconds: (cpu.user + cpu.system) / 1e6,
			keep,
			baselineRss,
			peakRss,
			peakRssRatio: peakRss / m.fp32Bytes,
			peakAboveBaselineRatio: (peakRss - baselineRss) / m.fp32Bytes,
		};
	} finally {
		await rm(folder, { recursive: true, force: true });
	}
}

/** One line for people (the JSON form is the object itself). */
export function formatCheckpointBench(r: CheckpointLoadBench): string {
	const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
	return (
		`checkpoint load (${r.model}, ${(r.parameters / 1e6).toFixed(0)} M params, ${r.tensors} tensors, F16 ${gb(r.fileBytes)} → F32 ${gb(r.fp32Bytes)}, ${r.keep ? 'weights kept' : 'each tensor dropped'}): ` +
		`${r.mbPerS.toFixed(0)} MB/s (${r.loadSeconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} s CPU), peak RSS ${gb(r.peakRss)} = ${r.peakRssRatio.toFixed(2)}× fp32 weights ` +
		`(${r.peakAboveBaselineRatio.toFixed(2)}× above the ${gb(r.baselineRss)} baseline)`
	);
}
