/**
 * The streamed safetensors reader. It reads the 8 bytes, then the header, then each tensor with its own read(): a
 * checkpoint is never held in one buffer. Each tensor comes back as a new float32 array (F16/BF16 upcast); its raw
 * bytes are not kept. Sources that can fill a given buffer (files) let a stream reuse one buffer for all 16-bit
 * tensors and read F32 data straight into the output, since fresh memory is the main cost of a large load.
 */
import { assertLittleEndian, DTYPE_SIZE, type Dtype, decodeToFloat32 } from '../dtype';
import { type ByteSource, ByteSourceError } from '../source';
import { checkHeaderLength, parseSafetensorsHeader, SafetensorsError, type TensorInfo } from './header';
import type { TensorEntry } from './write';

/** One float32 array per tensor: 2^30 elements (4 GiB) is past what engines allocate reliably, and past any LSWT. */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

export interface SafetensorsFile {
	source: ByteSource;
	headerLength: number;
	metadata: Record<string, string>;
	/** In file-offset order. */
	tensors: TensorInfo[];
	tensor(name: string): TensorInfo | undefined;
	/** One tensor as float32 (F16/BF16 upcast); reads only that tensor's bytes. */
	read(name: string): Promise<Float32Array>;
	/** Stream all tensors one at a time, in file order; onProgress(bytesRead, totalBytes) counts file bytes. */
	entries(onProgress?: (done: number, total: number) => void): AsyncGenerator<{ info: TensorInfo; data: Float32Array }>;
}

function sourceError(source: ByteSource, what: string, e: unknown, tensor?: string): SafetensorsError {
	const why = e instanceof ByteSourceError ? e.detail : (e as Error).message;
	return Object.assign(new SafetensorsError(`could not read ${what}: ${why}`, source.name, tensor), { cause: e });
}

async function readFrom(source: ByteSource, offset: number, length: number, what: string, tensor?: string) {
	let bytes: Uint8Array;
	try {
		bytes = await source.read(offset, length);
	} catch (e) {
		throw sourceError(source, what, e, tensor);
	}
	if (bytes.byteLength !== length) {
		throw new SafetensorsError(
			`reading ${what} returned ${bytes.byteLength} bytes instead of ${length}`,
			source.name,
			tensor,
		);
	}
	return bytes;
}

/**
 * One tensor as a new float32 array. With `readInto`, float32 bytes land directly in the output and 16-bit ones in
 * `scratch` (reused across a sequential stream), so each byte of fresh memory is the output's own.
 */
async function loadTensor(
	source: ByteSource,
	info: TensorInfo,
	scratch?: { buf: Uint8Array; size: number },
): Promise<Float32Array> {
	const elements = info.byteLength / DTYPE_SIZE[info.dtype];
	if (elements > MAX_TENSOR_ELEMENTS) {
		throw new SafetensorsError(
			`has ${elements} elements; at most ${MAX_TENSOR_ELEMENTS} (4 GiB as float32) are loaded as one array`,
			source.name,
			info.name,
		);
	}
	if (!source.readInto) {
		return decodeToFloat32(await readFrom(source, info.offset, info.byteLength, 'its bytes', info.name), info.dtype);
	}
	assertLittleEndian();
	const out = info.dtype === 'F32' ? new Float32Array(elements) : null;
	let target: Uint8Array;
	if (out) target = new Uint8Array(out.buffer);
	else if (scratch) {
		if (scratch.buf.byteLength < info.byteLength) scratch.buf = new Uint8Array(scratch.size);
		target = scratch.buf.subarray(0, info.byteLength);
	} else target = new Uint8Array(info.byteLength);
	try {
		await source.readInto(info.offset, target);
	} catch (e) {
		throw sourceError(source, 'its bytes', e, info.name);
	}
	return out ?? decodeToFloat32(target, info.dtype);
}

/** Read and validate the header; tensors are read later, one at a time, through the returned object. */
export async function openSafetensors(source: ByteSource): Promise<SafetensorsFile> {
	const file = source.name;
	const size = source.size;
	if (size < 8) checkHeaderLength(0n, size, file);
	const prefix = await readFrom(source, 0, 8, 'the header length');
	const headerLength = checkHeaderLength(
		new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true),
		size,
		file,
	);
	const headerBytes = await readFrom(source, 8, headerLength, 'the header');
	const { metadata, tensors } = parseSafetensorsHeader(headerBytes, size, file);
	const byName = new Map(tensors.map((t) => [t.name, t]));

	return {
		source,
		headerLength,
		metadata,
		tensors,
		tensor: (name) => byName.get(name),
		read(name) {
			const info = byName.get(name);
			if (!info) {
				return Promise.reject(new SafetensorsError(`no tensor is named ${JSON.stringify(name)}`, file));
			}
			return loadTensor(source, info);
		},
		async *entries(onProgress) {
			let done = 8 + headerLength;
			onProgress?.(done, size);
			// One buffer for every 16-bit tensor's bytes, allocated at first use, dropped with the generator.
			const size16 = tensors.reduce((m, t) => (t.dtype === 'F32' ? m : Math.max(m, t.byteLength)), 0);
			const scratch = { buf: new Uint8Array(0), size: size16 };
			for (const info of tensors) {
				const data = await loadTensor(source, info, scratch);
				done += info.byteLength;
				onProgress?.(done, size);
				yield { info, data };
			}
		},
	};
}

/** Parse a whole safetensors file held in memory (tests, small checkpoints): tensors as float32, in file order. */
export function readSafetensors(
	bytes: Uint8Array,
	name = 'model.safetensors',
): {
	tensors: (TensorEntry & { dtype: Dtype })[];
	metadata: Record<string, string>;
} {
	const n = bytes.byteLength < 8 ? 0n : new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
	const headerLength = checkHeaderLength(n, bytes.byteLength, name);
	const { metadata, tensors } = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength, name);
	return {
		metadata,
		tensors: tensors.map((t) => ({
			name: t.name,
			shape: t.shape,
			dtype: t.dtype,
			data: decodeToFloat32(bytes.slice(t.offset, t.offset + t.byteLength), t.dtype),
		})),
	};
}
