/**
 * Validation of a safetensors header: the 8-byte length prefix, then the JSON that maps tensor names to
 * {dtype, shape, data_offsets} plus an optional `__metadata__` string→string map.
 *
 * It follows the reference Rust crate (huggingface/safetensors, `SafeTensors::read_metadata` and
 * `Metadata::validate`), with clearer messages and a few stricter checks. A file is rejected when:
 * - it is shorter than 8 bytes; the header length is 0, over 100 000 000 bytes (the crate's MAX_HEADER_SIZE; the
 *   header is never allocated in that case) or runs past the end of the file;
 * - the header is not UTF-8, not JSON, or JSON but not an object (leading/trailing JSON whitespace is allowed, as
 *   the crate allows it: writers pad with spaces);
 * - `__metadata__` is not null or an object of strings;
 * - an entry is not an object with exactly the keys dtype, shape, data_offsets (stricter: the crate ignores unknown
 *   keys) — or a key appears twice anywhere in the header (stricter: JSON.parse and serde keep the last one silently,
 *   so the header is parsed by the strict parser in json.ts, which also sees number literals as written);
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
import { DTYPE_SIZE, DTYPES, type Dtype } from '../dtype';
import { type Json, JsonNumber, kindOf, parseJson, show } from './json';

/** The crate's MAX_HEADER_SIZE. */
export const MAX_HEADER_BYTES = 100_000_000;

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

const U64_MAX = 2n ** 64n - 1n;
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

export interface TensorInfo {
	name: string;
	dtype: Dtype;
	shape: number[];
	/** absolute byte offset in the file */
	offset: number;
	byteLength: number;
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

type Fail = (msg: string, tensor?: string) => never;
/** A tensor with its offsets relative to the data section, as the header gives them. */
type Placed = TensorInfo & { begin: number; end: number };

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

/** The 8-byte prefix's checks, before anything of the header's size is read or allocated. */
export function checkHeaderLength(n: bigint, size: number, file: string): number {
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

/**
 * Validate a header (the N bytes after the length prefix) against the file size; pure. Offsets in the result are
 * absolute file positions. Throws SafetensorsError naming `fileName` and the tensor.
 */
export function parseSafetensorsHeader(
	headerBytes: Uint8Array,
	fileSize: number,
	fileName: string,
): { metadata: Record<string, string>; tensors: TensorInfo[] } {
	const fail: Fail = (msg, tensor) => {
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

	const metadata = readMetadata(header.get('__metadata__'), fail);
	const tensors: Placed[] = [];
	for (const [name, entry] of header) {
		if (name === '__metadata__') continue;
		tensors.push(readEntry(name, entry, 8 + n, dataSize, (msg) => fail(msg, name)));
	}
	tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
	checkTiling(tensors, dataSize, fail);
	return {
		metadata,
		tensors: tensors.map(({ name, dtype, shape, offset, byteLength }) => ({ name, dtype, shape, offset, byteLength })),
	};
}

function readMetadata(meta: Json | undefined, fail: Fail): Record<string, string> {
	const metadata: Record<string, string> = {};
	if (meta === undefined || meta === null) return metadata;
	if (!(meta instanceof Map)) fail(`__metadata__ must be an object of strings, got ${kindOf(meta)}`);
	for (const [k, v] of meta as Map<string, Json>) {
		if (typeof v !== 'string') fail(`__metadata__[${JSON.stringify(k)}] must be a string, got ${kindOf(v)}`);
		// defineProperty, not assignment: a key such as "__proto__" must stay plain data.
		Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
	}
	return metadata;
}

/** One tensor's entry; `dataStart` is the file offset of the data section. */
function readEntry(
	name: string,
	entry: Json,
	dataStart: number,
	dataSize: number,
	bad: (msg: string) => never,
): Placed {
	if (!(entry instanceof Map)) return bad(`entry must be an object {dtype, shape, data_offsets}, got ${kindOf(entry)}`);
	for (const k of ENTRY_KEYS) if (!entry.has(k)) bad(`entry has no ${JSON.stringify(k)}`);
	for (const k of entry.keys()) {
		if (!ENTRY_KEYS.includes(k))
			bad(`entry has an unexpected key ${JSON.stringify(k)} (expected dtype, shape, data_offsets)`);
	}
	const dtype = readDtype(entry.get('dtype') as Json, bad);
	const { shape, elements } = readShape(entry.get('shape') as Json, bad);
	const itemSize = DTYPE_SIZE[dtype];
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
	return { name, dtype, shape, offset: dataStart + begin, byteLength: end - begin, begin, end };
}

function readDtype(dt: Json, bad: (msg: string) => never): Dtype {
	if (typeof dt !== 'string') return bad(`dtype must be a string, got ${kindOf(dt)}`);
	if (!(DTYPES as readonly string[]).includes(dt)) {
		if (OTHER_DTYPES.has(dt)) {
			bad(`dtype ${dt} is not supported (F32, F16, BF16); convert the checkpoint to one of those, e.g. in PyTorch`);
		}
		bad(`unknown dtype ${JSON.stringify(dt)} (F32, F16, BF16 are supported)`);
	}
	return dt as Dtype;
}

function readShape(sh: Json, bad: (msg: string) => never): { shape: number[]; elements: bigint } {
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
	return { shape, elements };
}

/** Sorted by (begin, end), the tensors must cover the data section exactly: no overlap, gap or trailing bytes. */
function checkTiling(tensors: readonly Placed[], dataSize: number, fail: Fail): void {
	let at = 0;
	let prev: Placed | undefined;
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
}
