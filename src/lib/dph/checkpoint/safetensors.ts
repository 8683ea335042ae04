/**
 * safetensors: a validating, streamed reader and a byte-exact writer (F32, F16, BF16).
 *
 * Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON header, then the data section. The header maps
 * tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the data section) plus an optional
 * `__metadata__` string→string map.
 *
 * The reader reads the 8 bytes, then the header, then each tensor with its own read(): a checkpoint is never held in
 * one buffer. Each tensor comes back as a new float32 array (F16/BF16 upcast); its raw bytes are not kept. Sources
 * that can fill a given buffer (files) let a stream reuse one buffer for all 16-bit tensors and read F32 data
 * straight into the output, since fresh memory is the main cost of a large load.
 *
 * Validation follows the reference Rust crate (huggingface/safetensors, `SafeTensors::read_metadata` and
 * `Metadata::validate`), with clearer messages and a few stricter checks. A file is rejected when:
 * - it is shorter than 8 bytes; the header length is 0, over 100 000 000 bytes (the crate's MAX_HEADER_SIZE; the
 *   header is never allocated in that case) or runs past the end of the file;
 * - the header is not UTF-8, not JSON, or JSON but not an object (leading/trailing JSON whitespace is allowed, as
 *   the crate allows it: writers pad with spaces);
 * - `__metadata__` is not null or an object of strings;
 * - an entry is not an object with exactly the keys dtype, shape, data_offsets (stricter: the crate ignores unknown
 *   keys) — or a key appears twice anywhere in the header (stricter: JSON.parse and serde keep the last one silently,
 *   so the header is parsed by the small JSON parser below, which also sees number literals as written);
 * - dtype is not a string or not F32/F16/BF16 (other safetensors dtypes are named as unsupported);
 * - shape is not an array of non-negative integers written as integers (no `1.0`, `1e3`, `-1`) up to 2^53 − 1,
 *   or the element count exceeds 2^53 − 1 (computed exactly with BigInt; nothing is allocated from it);
 * - data_offsets is not two such integers with begin ≤ end, ends past the data section, or spans a byte length other
 *   than elements × dtype size;
 * - sorted by (begin, end), the tensors do not tile the data section exactly: the first begins at 0, each begins
 *   where the previous ends (an overlap and a gap are reported separately), and the last ends at the end of the file
 *   (no trailing bytes). As in the crate, zero-size tensors and rank-0 shapes ([] = one element) are allowed.
 * Tensors are then listed in file-offset order.
 */
import {
	assertLittleEndian,
	DTYPE_SIZE,
	DTYPES,
	type Dtype,
	decodeToFloat32,
	encodeFromFloat32,
	f32ToBF16,
	f32ToF16,
} from './dtype';
import { type ByteSource, ByteSourceError } from './source';

export type { Dtype } from './dtype';
export type { ByteSource } from './source';

/** The crate's MAX_HEADER_SIZE. */
export const MAX_HEADER_BYTES = 100_000_000;
/** One float32 array per tensor: 2^30 elements (4 GiB) is past what engines allocate reliably, and past any LSWT. */
export const MAX_TENSOR_ELEMENTS = 2 ** 30;

/** Every dtype name the format defines, so a file using one we do not read is told so by name. */
const OTHER_DTYPES = new Set([
	'BOOL',
	'U8',
	'I8',
	'I16',
	'U16',
	'I32',
	'U32',
	'I64',
	'U64',
	'F64',
	'C64',
	'F4',
	'F6_E2M3',
	'F6_E3M2',
	'F8_E5M2',
	'F8_E4M3',
	'F8_E8M0',
	'F8_E4M3FNUZ',
	'F8_E5M2FNUZ',
]);

export interface TensorInfo {
	name: string;
	dtype: Dtype;
	shape: number[];
	/** absolute byte offset in the file */
	offset: number;
	byteLength: number;
}

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

export class SafetensorsError extends Error {
	override name = 'SafetensorsError';
	/** The message without the file/tensor prefix. */
	readonly detail: string;
	constructor(
		message: string,
		readonly file: string,
		readonly tensor?: string,
	) {
		super(`${file}: ${tensor === undefined ? '' : `tensor ${JSON.stringify(tensor)}: `}${message}`);
		this.detail = message;
	}
}

// ---------------------------------------------------------------------------------------------------------------
// Header JSON. JSON.parse silently keeps the last of duplicate keys and turns `4.0` and `1e3` into integers, so the
// header goes through this small strict parser (RFC 8259 grammar) instead. Numbers keep their literal text.

class JsonNumber {
	constructor(readonly raw: string) {}
	get value(): number {
		return Number(this.raw);
	}
}
type Json = string | boolean | null | JsonNumber | Json[] | Map<string, Json>;

const MAX_DEPTH = 32;
const ESCAPES = new Map([
	['"', '"'],
	['\\', '\\'],
	['/', '/'],
	['b', '\b'],
	['f', '\f'],
	['n', '\n'],
	['r', '\r'],
	['t', '\t'],
]);
const U64_MAX = 2n ** 64n - 1n;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function parseJson(text: string, fail: (msg: string) => never): Json {
	let i = 0;
	const ws = () => {
		for (;;) {
			const c = text.charCodeAt(i);
			if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
			else return;
		}
	};
	const whatIsAt = (at: number) => {
		if (at >= text.length) return 'the header ended early';
		const word = /^-?(NaN|Infinity)/.exec(text.slice(at, at + 9));
		if (word) return `${word[0]} at character ${at} is not a JSON number`;
		return `unexpected ${JSON.stringify(text[at])} at character ${at}`;
	};
	const bad = (at: number): never => fail(`header is not valid JSON: ${whatIsAt(at)}`);
	const string = (): string => {
		// i is at the opening quote.
		let out = '';
		let start = ++i;
		for (;;) {
			const c = text.charCodeAt(i);
			if (Number.isNaN(c)) bad(i);
			if (c === 0x22) {
				out += text.slice(start, i++);
				return out;
			}
			if (c < 0x20) fail(`header is not valid JSON: control character in a string at character ${i}`);
			if (c !== 0x5c) {
				i++;
				continue;
			}
			out += text.slice(start, i);
			const e = text[i + 1];
			const simple = ESCAPES.get(e);
			if (simple !== undefined) {
				out += simple;
				i += 2;
			} else if (e === 'u') {
				const hex = (at: number) => {
					const h = text.slice(at, at + 4);
					if (!/^[0-9a-fA-F]{4}$/.test(h)) {
						fail(`header is not valid JSON: bad \\u escape ${JSON.stringify(h)} at character ${at - 2}`);
					}
					return Number.parseInt(h, 16);
				};
				const u = hex(i + 2);
				i += 6;
				if (u >= 0xd800 && u <= 0xdbff && text.startsWith('\\u', i)) {
					const lo = hex(i + 2);
					if (lo >= 0xdc00 && lo <= 0xdfff) {
						out += String.fromCharCode(u, lo);
						i += 6;
						start = i;
						continue;
					}
				}
				if (u >= 0xd800 && u <= 0xdfff) fail(`header is not valid JSON: unpaired surrogate \\u${u.toString(16)}`);
				out += String.fromCharCode(u);
			} else {
				bad(i + 1);
			}
			start = i;
		}
	};
	const value = (depth: number): Json => {
		if (depth > MAX_DEPTH) fail(`header JSON is nested more than ${MAX_DEPTH} levels deep`);
		ws();
		const c = text[i];
		if (c === '{') {
			i++;
			const map = new Map<string, Json>();
			ws();
			if (text[i] === '}') {
				i++;
				return map;
			}
			for (;;) {
				ws();
				if (text[i] !== '"') bad(i);
				const key = string();
				if (map.has(key)) {
					fail(`header has the key ${JSON.stringify(key)} twice; a corrupt or hand-edited header (remove one)`);
				}
				ws();
				if (text[i] !== ':') bad(i);
				i++;
				map.set(key, value(depth + 1));
				ws();
				if (text[i] === ',') i++;
				else if (text[i] === '}') {
					i++;
					return map;
				} else bad(i);
			}
		}
		if (c === '[') {
			i++;
			const arr: Json[] = [];
			ws();
			if (text[i] === ']') {
				i++;
				return arr;
			}
			for (;;) {
				arr.push(value(depth + 1));
				ws();
				if (text[i] === ',') i++;
				else if (text[i] === ']') {
					i++;
					return arr;
				} else bad(i);
			}
		}
		if (c === '"') return string();
		for (const [word, v] of [
			['true', true],
			['false', false],
			['null', null],
		] as const) {
			if (text.startsWith(word, i)) {
				i += word.length;
				return v;
			}
		}
		NUMBER.lastIndex = i;
		const m = NUMBER.exec(text);
		if (!m) return bad(i);
		i += m[0].length;
		return new JsonNumber(m[0]);
	};
	const v = value(0);
	ws();
	if (i < text.length) bad(i);
	return v;
}

function kindOf(v: Json): string {
	if (v === null) return 'null';
	if (v instanceof JsonNumber) return `the number ${v.raw}`;
	if (v instanceof Map) return 'an object';
	if (Array.isArray(v)) return 'an array';
	if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
	return String(v);
}

function show(v: Json): string {
	if (v instanceof JsonNumber) return v.raw;
	if (Array.isArray(v) && v.length <= 8 && v.every((x) => !(x instanceof Map) && !Array.isArray(x))) {
		return `[${v.map(show).join(', ')}]`;
	}
	return kindOf(v);
}

/** A non-negative integer written as one (no fraction or exponent), at most 2^53 − 1, else null. */
function indexValue(v: Json): number | null {
	if (!(v instanceof JsonNumber) || !/^(0|[1-9]\d*)$/.test(v.raw)) return null;
	const n = v.value;
	return Number.isSafeInteger(n) ? n : null;
}

function integerProblem(v: Json): string {
	if (v instanceof JsonNumber) {
		if (v.raw.startsWith('-')) return `must not be negative, got ${v.raw}`;
		if (/[.eE]/.test(v.raw)) return `must be written as an integer, got ${v.raw}`;
		return `${v.raw} is larger than 2^53 − 1, which no real file needs`;
	}
	return `must be a non-negative integer, got ${kindOf(v)}`;
}

const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

/**
 * Validate a header (the N bytes after the length prefix) against the file size; pure. Offsets in the result are
 * absolute file positions. Throws SafetensorsError naming `fileName` and the tensor.
 */
export function parseSafetensorsHeader(
	headerBytes: Uint8Array,
	fileSize: number,
	fileName: string,
): { metadata: Record<string, string>; tensors: TensorInfo[] } {
	const fail = (msg: string, tensor?: string): never => {
		throw new SafetensorsError(msg, fileName, tensor);
	};
	const n = headerBytes.byteLength;
	if (n === 0) fail('header length is 0; this is not a safetensors file');
	if (n > MAX_HEADER_BYTES) fail(`header is ${n} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
	if (8 + n > fileSize) fail(`header length ${n} runs past the end of the file (${fileSize} bytes)`);
	const dataSize = fileSize - 8 - n;

	let text: string;
	try {
		// ignoreBOM keeps a byte-order mark in the text, so it is rejected as JSON like the crate does.
		text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
	} catch {
		return fail('header is not valid UTF-8; this is not a safetensors file (or it is corrupt)');
	}
	const root = parseJson(text, (m) => fail(`${m}; this is not a safetensors file (or its header is corrupt)`));
	if (!(root instanceof Map)) fail(`header is JSON but ${kindOf(root)}, not an object of tensors`);
	const header = root as Map<string, Json>;

	const metadata: Record<string, string> = {};
	const meta = header.get('__metadata__');
	if (meta !== undefined && meta !== null) {
		if (!(meta instanceof Map)) fail(`__metadata__ must be an object of strings, got ${kindOf(meta)}`);
		for (const [k, v] of meta as Map<string, Json>) {
			if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k)}] must be a string, got ${kindOf(v)}`);
			// defineProperty, not assignment: a key such as "__proto__" must stay plain data.
			Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
		}
	}

	const tensors: (TensorInfo & { begin: number; end: number })[] = [];
	for (const [name, entry] of header) {
		if (name === '__metadata__') continue;
		const bad = (msg: string): never => fail(msg, name);
		if (!(entry instanceof Map))
			return bad(`entry must be an object {dtype, shape, data_offsets}, got ${kindOf(entry)}`);
		for (const k of ENTRY_KEYS) if (!entry.has(k)) bad(`entry has no ${JSON.stringify(k)}`);
		for (const k of entry.keys()) {
			if (!ENTRY_KEYS.includes(k))
				bad(`entry has an unexpected key ${JSON.stringify(k)} (expected dtype, shape, data_offsets)`);
		}

		const dt = entry.get('dtype') as Json;
		if (typeof dt !== 'string') bad(`dtype must be a string, got ${kindOf(dt)}`);
		const dtype = dt as string;
		if (!(DTYPES as readonly string[]).includes(dtype)) {
			if (OTHER_DTYPES.has(dtype)) {
				bad(
					`dtype ${dtype} is not supported (F32, F16, BF16); convert the checkpoint to one of those, e.g. in PyTorch`,
				);
			}
			bad(`unknown dtype ${JSON.stringify(dtype)} (F32, F16, BF16 are supported)`);
		}

		const sh = entry.get('shape') as Json;
		if (!Array.isArray(sh)) return bad(`shape must be an array of non-negative integers, got ${kindOf(sh)}`);
		const shape: number[] = [];
		let elements = 1n;
		for (let d = 0; d < sh.length; d++) {
			const v = indexValue(sh[d]);
			if (v === null) return bad(`shape[${d}] ${integerProblem(sh[d])}`);
			shape.push(v);
			elements *= BigInt(v);
			// Fail at the first overflow of 64 bits, like the crate's checked_mul, so the product stays small.
			if (elements > U64_MAX) bad(`shape ${show(sh)} overflows 64 bits when multiplied out (corrupt header)`);
		}
		if (elements > BigInt(Number.MAX_SAFE_INTEGER)) {
			bad(`shape [${shape.join(', ')}] has ${elements} elements, more than any file can hold (corrupt header)`);
		}
		const itemSize = DTYPE_SIZE[dtype as Dtype];
		const byteLength = BigInt(itemSize) * elements;

		const off = entry.get('data_offsets') as Json;
		if (!Array.isArray(off) || off.length !== 2) {
			return bad(`data_offsets must be [begin, end], got ${show(off)}`);
		}
		const [begin, end] = off.map(indexValue);
		if (begin === null) return bad(`data_offsets[0] ${integerProblem(off[0])}`);
		if (end === null) return bad(`data_offsets[1] ${integerProblem(off[1])}`);
		if (end < begin) bad(`data_offsets [${begin}, ${end}] end before they begin`);
		if (end > dataSize) {
			bad(
				`data_offsets [${begin}, ${end}] run past the end of the data section (${dataSize} bytes); the file is truncated`,
			);
		}
		if (BigInt(end - begin) !== byteLength) {
			bad(
				`shape [${shape.join(', ')}] × ${dtype} (${itemSize} bytes) = ${byteLength} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
			);
		}
		tensors.push({ name, dtype: dtype as Dtype, shape, offset: 8 + n + begin, byteLength: end - begin, begin, end });
	}

	tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
	let at = 0;
	let prev: (typeof tensors)[number] | undefined;
	for (const t of tensors) {
		if (t.begin < at && prev) {
			fail(
				`bytes [${t.begin}, ${t.end}) overlap tensor ${JSON.stringify(prev.name)} [${prev.begin}, ${prev.end})`,
				t.name,
			);
		}
		if (t.begin > at) {
			fail(
				`${t.begin - at} unused bytes before this tensor (it begins at ${t.begin}, ${prev ? `tensor ${JSON.stringify(prev.name)} ends` : 'the data section starts'} at ${at}); safetensors requires the tensors to cover the data section without gaps`,
				t.name,
			);
		}
		at = t.end;
		prev = t;
	}
	if (at !== dataSize) {
		fail(
			`${dataSize - at} trailing bytes after the last tensor (the data section is ${dataSize} bytes, tensors cover ${at}); not a standard safetensors file`,
		);
	}
	return {
		metadata,
		tensors: tensors.map(({ name, dtype, shape, offset, byteLength }) => ({ name, dtype, shape, offset, byteLength })),
	};
}

// ---------------------------------------------------------------------------------------------------------------
// Streamed reading.

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

/** The 8-byte prefix's checks, before anything of the header's size is read or allocated. */
function checkHeaderLength(n: bigint, size: number, file: string): number {
	const fail = (msg: string): never => {
		throw new SafetensorsError(msg, file);
	};
	if (size < 8)
		fail(
			`file is ${size} bytes, shorter than the 8-byte header length; not a safetensors file (an incomplete download?)`,
		);
	if (n === 0n) fail('header length is 0; this is not a safetensors file');
	if (n > BigInt(MAX_HEADER_BYTES)) {
		fail(
			`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit; this is not a safetensors file (or it is corrupt)`,
		);
	}
	if (8n + n > BigInt(size)) {
		fail(`header length ${n} runs past the end of the file (${size} bytes); the file is truncated or not safetensors`);
	}
	return Number(n);
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

// ---------------------------------------------------------------------------------------------------------------
// Writing.

export interface TensorEntry {
	name: string;
	shape: number[];
	data: Float32Array;
	/** Stored dtype; float32 data is rounded to nearest-even for F16/BF16. Default F32. */
	dtype?: Dtype;
}

export interface TensorSpec {
	name: string;
	shape: number[];
	dtype: Dtype;
}

export interface SafetensorsLayout {
	/** The 8-byte length prefix followed by the padded header: the first bytes of the file. */
	head: Uint8Array<ArrayBuffer>;
	/** Tensors in the order their bytes follow the header, with offsets relative to the data section. */
	order: (TensorSpec & { begin: number; end: number })[];
	/** Total file size. */
	size: number;
}

/** Code-point order, which is the byte order of UTF-8 that the crate sorts by (JS `<` compares UTF-16 units). */
function compareNames(a: string, b: string): number {
	const x = [...a];
	const y = [...b];
	for (let i = 0; i < Math.min(x.length, y.length); i++) {
		const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
		if (d) return d;
	}
	return x.length - y.length;
}

/** The crate's dtype order (its enum order: BF16 sorts after F16); tensors are written by descending dtype. */
const DTYPE_RANK: Record<Dtype, number> = { F16: 0, BF16: 1, F32: 2 };

/**
 * The header and tensor order the reference writer (Rust crate, used by Python's `save_file`) produces: tensors
 * sorted by descending dtype alignment then by name, contiguous offsets, JSON with `__metadata__` first (when given
 * and non-empty), then the tensors in data order, padded with spaces to a multiple of 8 bytes. Lets a large file be
 * written tensor by tensor.
 */
export function planSafetensors(specs: TensorSpec[], metadata: Record<string, string> = {}): SafetensorsLayout {
	const seen = new Set<string>();
	for (const s of specs) {
		if (s.name === '__metadata__') throw new Error('safetensors: "__metadata__" cannot be a tensor name');
		if (seen.has(s.name)) throw new Error(`safetensors: tensor ${s.name} appears twice`);
		seen.add(s.name);
		if (!DTYPES.includes(s.dtype)) throw new Error(`safetensors: tensor ${s.name} has unsupported dtype ${s.dtype}`);
		if (!s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
			throw new Error(`safetensors: tensor ${s.name} has an invalid shape [${s.shape}]`);
		}
	}
	for (const [k, v] of Object.entries(metadata)) {
		if (typeof v !== 'string') throw new Error(`safetensors: metadata ${k} must be a string`);
	}
	const sorted = [...specs].sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareNames(a.name, b.name));
	let offset = 0;
	const order = sorted.map((s) => {
		const bytes = s.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[s.dtype];
		const item = { ...s, begin: offset, end: offset + bytes };
		offset += bytes;
		return item;
	});
	const parts: string[] = [];
	if (Object.keys(metadata).length) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
	for (const t of order) {
		parts.push(
			`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${t.begin},${t.end}]}`,
		);
	}
	const json = new TextEncoder().encode(`{${parts.join(',')}}`);
	const padded = Math.ceil(json.byteLength / 8) * 8;
	const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
	new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
	head.set(json, 8);
	return { head, order, size: head.byteLength + offset };
}

/** A whole safetensors file in memory (small checkpoints; large ones are written with planSafetensors). */
export function writeSafetensors(
	tensors: TensorEntry[],
	metadata: Record<string, string> = {},
): Uint8Array<ArrayBuffer> {
	for (const t of tensors) {
		if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
			throw new Error(`safetensors: tensor ${t.name} has an invalid shape [${t.shape}]`);
		}
		const size = t.shape.reduce((a, b) => a * b, 1);
		if (size !== t.data.length) {
			throw new Error(
				`safetensors: tensor ${t.name} has shape [${t.shape}] (${size} values) but ${t.data.length} values`,
			);
		}
	}
	const layout = planSafetensors(
		tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype ?? 'F32' })),
		metadata,
	);
	const byName = new Map(tensors.map((t) => [t.name, t]));
	const out = new Uint8Array(layout.size);
	out.set(layout.head, 0);
	const base = layout.head.byteLength;
	for (const t of layout.order) {
		const data = byName.get(t.name)!.data;
		if (t.dtype === 'F32') {
			// A byte view copies the values as stored (little-endian) whatever the input's alignment.
			out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), base + t.begin);
		} else if (t.begin % 2 === 0) {
			const halves = new Uint16Array(out.buffer, base + t.begin, data.length);
			assertLittleEndian();
			if (t.dtype === 'F16') f32ToF16(data, halves);
			else f32ToBF16(data, halves);
		} else {
			out.set(encodeFromFloat32(data, t.dtype), base + t.begin);
		}
	}
	return out;
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
