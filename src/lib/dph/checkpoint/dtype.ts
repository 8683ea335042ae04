/**
 * Half-precision conversions for safetensors: F16 and BF16 → F32 for loading (checkpoints are usually stored in 16
 * bits, the forward runs in float32), and F32 → F16/BF16 with round-to-nearest-even for writing.
 * Everything works on bit patterns in typed arrays: no per-element Number boxing, so a 1 GB checkpoint converts in
 * about a second. Byte order is little-endian, as in safetensors; every engine the workbench runs on is
 * little-endian, and `assertLittleEndian` refuses the rest instead of producing garbage.
 */

export type Dtype = 'F32' | 'F16' | 'BF16';
export const DTYPES: readonly Dtype[] = ['F32', 'F16', 'BF16'];
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = { F32: 4, F16: 2, BF16: 2 };

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function assertLittleEndian(): void {
	if (!littleEndian) throw new Error('safetensors conversion: this platform is big-endian, which is not supported');
}

/** F16 bits → F32 bits, exact for every input (subnormals become normal F32, Inf/NaN keep sign and payload). */
export function f16BitsToF32Bits(h: number): number {
	const sign = (h & 0x8000) << 16;
	const exp = (h >> 10) & 0x1f;
	let mant = h & 0x3ff;
	if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
	if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
	if (mant === 0) return sign >>> 0;
	// Subnormal: value = mant · 2^-24; shift the leading 1 up to the implicit bit, lowering the exponent each step.
	let e = 113;
	while ((mant & 0x400) === 0) {
		mant <<= 1;
		e--;
	}
	return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

let f16Table: Uint32Array | null = null;

/** All 65 536 F16 bit patterns as F32 bits, built once on first use (256 KB): conversion is then one lookup. */
function table(): Uint32Array {
	if (!f16Table) {
		const t = new Uint32Array(65536);
		for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32Bits(h);
		f16Table = t;
	}
	return f16Table;
}

function outArray(n: number, out?: Float32Array): Float32Array {
	if (!out) return new Float32Array(n);
	if (out.length !== n) throw new Error(`conversion: output has ${out.length} elements, input ${n}`);
	return out;
}

export function f16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
	assertLittleEndian();
	const o = outArray(src.length, out);
	const bits = new Uint32Array(o.buffer, o.byteOffset, o.length);
	const t = table();
	for (let i = 0; i < src.length; i++) bits[i] = t[src[i]];
	return o;
}

export function bf16ToF32(src: Uint16Array, out?: Float32Array): Float32Array {
	assertLittleEndian();
	const o = outArray(src.length, out);
	const bits = new Uint32Array(o.buffer, o.byteOffset, o.length);
	for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
	return o;
}

/** F32 bits → F16 bits, round to nearest, ties to even; overflow → ±Inf; NaN stays NaN (quiet, sign kept). */
export function f32BitsToF16Bits(x: number): number {
	const sign = (x >>> 16) & 0x8000;
	const exp = (x >>> 23) & 0xff;
	const mant = x & 0x7fffff;
	if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
	const e = exp - 112; // F16 biased exponent
	if (e >= 0x1f) return sign | 0x7c00;
	if (e <= 0) {
		// Subnormal F16 (or zero): shift the full significand (with the implicit 1) right by 14 − e, then round.
		if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
		const full = mant | 0x800000;
		const shift = 14 - e;
		const q = full >>> shift;
		const rem = full & ((1 << shift) - 1);
		const half = 1 << (shift - 1);
		return sign | (q + (rem > half || (rem === half && q & 1) ? 1 : 0));
	}
	const q = (e << 10) | (mant >>> 13);
	const rem = mant & 0x1fff;
	// A carry out of the mantissa correctly bumps the exponent, up to Inf (0x7c00).
	return sign | (q + (rem > 0x1000 || (rem === 0x1000 && q & 1) ? 1 : 0));
}

/** F32 bits → BF16 bits, round to nearest, ties to even; NaN stays NaN (forced quiet so it cannot round to Inf). */
export function f32BitsToBF16Bits(x: number): number {
	if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
	return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f32ToF16(src: Float32Array, out?: Uint16Array): Uint16Array {
	return toHalves(src, 'F16', out);
}

export function f32ToBF16(src: Float32Array, out?: Uint16Array): Uint16Array {
	return toHalves(src, 'BF16', out);
}

/** Two loops, not a rounding callback: each loop then calls one function, which the engine inlines. */
function toHalves(src: Float32Array, dtype: 'F16' | 'BF16', out?: Uint16Array): Uint16Array {
	assertLittleEndian();
	const o = out ?? new Uint16Array(src.length);
	const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
	if (dtype === 'F16') for (let i = 0; i < src.length; i++) o[i] = f32BitsToF16Bits(bits[i]);
	else for (let i = 0; i < src.length; i++) o[i] = f32BitsToBF16Bits(bits[i]);
	return o;
}

/**
 * Little-endian tensor bytes → a new float32 array the caller owns. `bytes` must itself be caller-owned (as a
 * ByteSource read is): an F32 tensor whose bytes start 4-aligned at the start of their buffer is wrapped without a
 * copy; anything else is copied, since typed-array views need aligned offsets.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: Dtype): Float32Array {
	assertLittleEndian();
	const size = DTYPE_SIZE[dtype];
	if (bytes.byteLength % size !== 0) {
		throw new Error(`conversion: ${bytes.byteLength} bytes is not a whole number of ${dtype} values`);
	}
	const n = bytes.byteLength / size;
	if (dtype === 'F32') {
		if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
			return new Float32Array(bytes.buffer, 0, n);
		}
		const out = new Float32Array(n);
		new Uint8Array(out.buffer).set(bytes);
		return out;
	}
	const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
	const halves = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
	return dtype === 'F16' ? f16ToF32(halves) : bf16ToF32(halves);
}

/** float32 values → little-endian bytes of `dtype` (a new buffer). */
export function encodeFromFloat32(data: Float32Array, dtype: Dtype): Uint8Array {
	if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
	const halves = dtype === 'F16' ? f32ToF16(data) : f32ToBF16(data);
	return new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
}

/** The largest finite F16 value; anything larger in magnitude is stored as ±Inf. */
export const F16_MAX = 65504;

/** `--dtype f32|f16|bf16` (and config `exportDtype`) as a safetensors dtype; absent means F32. */
export function exportDtype(name: 'f32' | 'f16' | 'bf16' | undefined): Dtype {
	return name === 'f16' ? 'F16' : name === 'bf16' ? 'BF16' : 'F32';
}

/** A weight too large for F16: writing it would store ±Inf, which every loader refuses. */
export class F16RangeError extends Error {
	override name = 'F16RangeError';
	constructor(
		readonly tensor: string,
		readonly maxAbs: number,
	) {
		super(
			`${tensor} has |value| up to ${maxAbs.toPrecision(6)}, beyond ${F16_MAX}, the largest F16 value: in F16 it would be ±Inf; export it as bf16 (same range as f32) or f32`,
		);
	}
}

/** Throws F16RangeError for the first tensor with a finite value beyond ±F16_MAX (NaN/Inf are the loader's to refuse). */
export function assertF16Range(tensors: readonly { name: string; data: Float32Array }[]): void {
	for (const t of tensors) {
		let max = 0;
		for (let i = 0; i < t.data.length; i++) {
			const a = Math.abs(t.data[i]);
			if (a > max && a !== Number.POSITIVE_INFINITY) max = a;
		}
		if (max > F16_MAX) throw new F16RangeError(t.name, max);
	}
}

/**
 * A [rows, cols] matrix of 16-bit values → its transpose [cols, rows] (a new array). Walked in 64 × 64 tiles: a
 * naive loop writes every element a whole row apart, a cache miss each, which for a 4096 × 1536 weight is ~4×
 * slower. Used to store linear weights transposed once at load, so every later F16 → F32 conversion is sequential.
 */
export function transposeHalves(src: Uint16Array, rows: number, cols: number): Uint16Array {
	if (src.length !== rows * cols) throw new Error(`transpose: ${src.length} values is not ${rows} × ${cols}`);
	const out = new Uint16Array(src.length);
	const T = 64;
	for (let r0 = 0; r0 < rows; r0 += T) {
		const r1 = Math.min(rows, r0 + T);
		for (let c0 = 0; c0 < cols; c0 += T) {
			const c1 = Math.min(cols, c0 + T);
			for (let r = r0; r < r1; r++) {
				const base = r * cols;
				for (let c = c0; c < c1; c++) out[c * rows + r] = src[base + c];
			}
		}
	}
	return out;
}

/** 16-bit values of `dtype` (F16 or BF16) → float32, into `out` when given (same length). */
export function halvesToF32(src: Uint16Array, dtype: 'F16' | 'BF16', out?: Float32Array): Float32Array {
	return dtype === 'F16' ? f16ToF32(src, out) : bf16ToF32(src, out);
}

/**
 * How many 16-bit values are NaN or ±Inf (exponent all ones), and the first one's index; null when all are finite.
 * Read on the bits, so a checkpoint kept in 16 bits is checked without converting it.
 */
export function halvesNonFinite(src: Uint16Array, dtype: 'F16' | 'BF16'): { count: number; first: number } | null {
	const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
	let count = 0;
	let first = -1;
	for (let i = 0; i < src.length; i++) {
		if ((src[i] & mask) === mask) {
			if (first < 0) first = i;
			count++;
		}
	}
	return count ? { count, first } : null;
}
