/**
 * Load a checkpoint without uploading its weights: every tensor stays in JS memory in the file's own precision
 * (F16/BF16 as 16-bit words, F32 as float32), and the layer-streamed forward (model/streamed.ts) converts one
 * weight (or one slice of its columns) at a time to a float32 tensor, then disposes it. The paper's medium model
 * is 1.14 GB in F16 but 2.28 GB in float32, and tfjs-backend-wasm's matMul keeps a packed copy of each weight next
 * to it: resident, it needs more than wasm32's 4 GiB heap; streamed, the heap holds one slice of at most 8 MB and
 * its packed copy (model/streamed-block.ts).
 *
 * Linear weights ([out, in] in the file) are stored transposed ([in, out]), once, at load: the forward multiplies
 * by the transpose, and on wasm a transposed operand otherwise costs a copy of the weight per call (tfops.ts mm).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { familyOf } from '../model/family';
import { DTYPE_SIZE, halvesNonFinite, halvesToF32, transposeHalves } from './dtype';
import type { CheckpointFolder } from './folder';
import {
	type CheckpointInfo,
	inspectCheckpoint,
	type LoadedCheckpoint,
	type LoadOptions,
	loadCheckpointTensors,
	nonFinite,
	noteNonFinite,
} from './load';
import type { ByteSource } from './source';

type TF = typeof tfjs;

type Stored = { dtype: 'F16' | 'BF16'; data: Uint16Array } | { dtype: 'F32'; data: Float32Array };

/** A checkpoint's weights held in JS memory, read out as float32 on demand. */
export class HalfStore {
	private readonly tensors = new Map<string, { stored: Stored; shape: number[]; transposed: boolean }>();
	/** Bytes held (the file's precision). */
	bytes = 0;

	/** Whether `name` was stored transposed (a 2-D linear weight). */
	transposed(name: string): boolean {
		return this.get(name).transposed;
	}

	/** The tensor's shape as in the file ([out, in] for a linear weight, even when stored transposed). */
	shape(name: string): number[] {
		return this.get(name).shape;
	}

	has(name: string): boolean {
		return this.tensors.has(name);
	}

	/**
	 * Values as float32 in stored order (transposed for linear weights), elements [begin, end) of it; into `out`
	 * when given (its length must be end − begin).
	 */
	float32(name: string, out?: Float32Array, begin = 0, end?: number): Float32Array {
		const { stored } = this.get(name);
		const stop = end ?? stored.data.length;
		if (stored.dtype === 'F32') {
			const part = stored.data.subarray(begin, stop);
			if (!out) return part.slice();
			out.set(part);
			return out;
		}
		return halvesToF32(stored.data.subarray(begin, stop), stored.dtype, out);
	}

	/**
	 * Columns [c0, c1) of a transposed linear weight as float32, [in, c1 − c0] row-major (the rows c0 … c1 − 1 of the
	 * file's [out, in] weight, transposed): into `out` (length in · (c1 − c0)).
	 */
	float32Columns(name: string, c0: number, c1: number, out: Float32Array): Float32Array {
		const t = this.get(name);
		if (!t.transposed) throw new Error(`streamed weights: ${name} is not a linear weight`);
		const [cols, rows] = t.shape; // stored [in, out]: `rows` rows of `cols` values
		const w = c1 - c0;
		if (c0 < 0 || c1 > cols || w <= 0 || out.length !== rows * w)
			throw new Error(`streamed weights: columns ${c0}…${c1} of ${name} [${t.shape}] do not fit ${out.length} values`);
		for (let r = 0; r < rows; r++) {
			const src = t.stored.data.subarray(r * cols + c0, r * cols + c1);
			const dst = out.subarray(r * w, (r + 1) * w);
			if (t.stored.dtype === 'F32') dst.set(src);
			else halvesToF32(src as Uint16Array, t.stored.dtype, dst);
		}
		return out;
	}

	add(name: string, shape: number[], stored: Stored, transposed: boolean): void {
		this.tensors.set(name, { stored, shape, transposed });
		this.bytes += stored.data.byteLength;
	}

	clear(): void {
		this.tensors.clear();
		this.bytes = 0;
	}

	private get(name: string) {
		const t = this.tensors.get(name);
		if (!t) throw new Error(`streamed weights: the checkpoint has no tensor ${name}`);
		return t;
	}
}

/** A checkpoint loaded for the streamed forward: no tfjs tensors, `params` empty, the weights in `store`. */
export interface StreamedCheckpoint extends Omit<LoadedCheckpoint, 'params'> {
	params: Record<string, never>;
	store: HalfStore;
}

/** A 2-D weight the forward multiplies by (every one but the embedding, which is gathered and chunked). */
export const isLinearWeight = (name: string, shape: readonly number[]): boolean =>
	shape.length === 2 && name.endsWith('.weight') && !name.includes('input_embedding');

/**
 * float32 bytes of weights above which `dph score` and the Score page stream on wasm (and cpu): resident weights
 * take twice that in the wasm heap once matMul has packed them, and the heap stops at 4 GiB, activations included.
 */
export const STREAM_ABOVE_BYTES = 2 ** 30;

/**
 * Whether to load `info` streamed on `backend`: an LSWT model (the streamed forward is LSWT's) whose float32
 * weights are over STREAM_ABOVE_BYTES, off WebGPU.
 */
export function shouldStream(backend: string, info: Pick<CheckpointInfo, 'card' | 'config'>): boolean {
	return familyOf(info.config).name === 'lswt' && backend !== 'webgpu' && 4 * info.card.parameters > STREAM_ABOVE_BYTES;
}

/** `length` bytes at `offset`: into `scratch` (grown as needed) when given and the source can fill a buffer. */
async function readBytes(
	source: ByteSource,
	offset: number,
	length: number,
	scratch: { buf: Uint8Array } | null,
): Promise<Uint8Array> {
	if (!scratch || !source.readInto) return source.read(offset, length);
	if (scratch.buf.byteLength < length) scratch.buf = new Uint8Array(length);
	const view = scratch.buf.subarray(0, length);
	await source.readInto(offset, view);
	return view;
}

/** Read the weights into a HalfStore, checking each for NaN/Inf as loadCheckpointTensors does. */
export async function loadStreamedCheckpoint(
	folder: CheckpointFolder,
	opts: LoadOptions = {},
	inspected?: CheckpointInfo,
): Promise<StreamedCheckpoint> {
	const info = inspected ?? (await inspectCheckpoint(folder, opts.onProgress, opts.heads));
	const wanted = new Set(info.tensors.map((t) => t.name).filter((n) => !info.report.unexpected.includes(n)));
	const store = new HalfStore();
	const t0 = performance.now();
	const total = info.tensors.filter((t) => wanted.has(t.name)).reduce((a, t) => a + t.byteLength, 0);
	let done = 0;
	const broken: string[] = [];
	const scratch = { buf: new Uint8Array(0) };
	for (const t of info.tensors) {
		if (!wanted.has(t.name)) continue;
		if (opts.signal?.aborted) throw new DOMException('Loading was stopped', 'AbortError');
		const linear = isLinearWeight(t.name, t.shape);
		// A weight about to be transposed is read into one reused buffer, so each byte read lands in memory that is
		// kept: a fresh buffer per tensor would leave ~1 GB of garbage for the collector, which it releases late
		// and which the process's peak RSS counts.
		const bytes = await readBytes(info.file.source, t.offset, t.byteLength, linear ? scratch : null);
		const n = t.byteLength / DTYPE_SIZE[t.dtype];
		const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
		let stored: Stored =
			t.dtype === 'F32'
				? { dtype: 'F32', data: new Float32Array(aligned.buffer, aligned.byteOffset, n) }
				: { dtype: t.dtype, data: new Uint16Array(aligned.buffer, aligned.byteOffset, n) };
		noteNonFinite(
			t.name,
			stored.dtype === 'F32' ? nonFinite(stored.data) : halvesNonFinite(stored.data, stored.dtype),
			opts,
			broken,
		);
		if (linear) {
			const [rows, cols] = t.shape;
			if (stored.dtype === 'F32') {
				const out = new Float32Array(n);
				for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = stored.data[r * cols + c];
				stored = { dtype: 'F32', data: out };
			} else stored = { dtype: stored.dtype, data: transposeHalves(stored.data, rows, cols) };
		}
		store.add(t.name, t.shape, stored, linear);
		done += t.byteLength;
		opts.onProgress?.({ phase: 'weights', done, total, tensor: t.name });
	}
	const { file: _file, ...rest } = info;
	if (broken.length) {
		rest.notes = [...rest.notes, `model.safetensors: loaded anyway, but ${broken.length} tensor(s) hold NaN/Inf`];
	}
	rest.notes = [
		...rest.notes,
		`weights kept in ${rest.card.dtypes.join('/')} (${(store.bytes / 1e9).toFixed(2)} GB) and streamed one block at a time: the float32 model (${((4 * rest.card.parameters) / 1e9).toFixed(2)} GB) is over the ${STREAM_ABOVE_BYTES / 2 ** 30} GiB this backend holds resident`,
	];
	return {
		...rest,
		params: {},
		store,
		seconds: (performance.now() - t0) / 1000,
		dispose: () => store.clear(),
	};
}

/**
 * Load for scoring on the current backend: streamed when `stream` says so, or, by default, when shouldStream does
 * (a float32 model over STREAM_ABOVE_BYTES off WebGPU); resident otherwise.
 */
export async function loadForScoring(
	tf: TF,
	folder: CheckpointFolder,
	opts: LoadOptions & { stream?: boolean } = {},
): Promise<LoadedCheckpoint | StreamedCheckpoint> {
	const info = await inspectCheckpoint(folder, opts.onProgress, opts.heads);
	if (opts.stream ?? shouldStream(tf.getBackend(), info)) return loadStreamedCheckpoint(folder, opts, info);
	return loadCheckpointTensors(tf, folder, opts, info);
}
