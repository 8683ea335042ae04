import { describe, expect, it } from 'vitest';
import {
	bf16ToF32,
	decodeToFloat32,
	encodeFromFloat32,
	f16ToF32,
	f32BitsToBF16Bits,
	f32BitsToF16Bits,
	f32ToBF16,
	f32ToF16,
} from '../../../../src/lib/dph/checkpoint/dtype';
import { mulberry32 } from '../../../../src/lib/dph/random';

/** IEEE half decoded from its definition in float64 (independent of the bit manipulation under test). */
function halfValue(h: number): number {
	const s = h & 0x8000 ? -1 : 1;
	const e = (h >> 10) & 0x1f;
	const m = h & 0x3ff;
	if (e === 0x1f) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
	if (e === 0) return s * m * 2 ** -24;
	return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0];
const bitsOf = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/** Positive finite halves in increasing order, plus 65536 standing for "+Inf" (what rounding past 65504 gives). */
const ladder: { v: number; h: number }[] = [];
for (let h = 0; h < 0x7c00; h++) ladder.push({ v: halfValue(h), h });
ladder.push({ v: 65536, h: 0x7c00 });

/** Nearest half by search over all values, ties to the even bit pattern: an independent round-to-nearest-even. */
function nearestHalf(x: number): number {
	if (Number.isNaN(x)) return 0x7e00;
	const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
	const a = Math.abs(x);
	if (a >= 65536) return sign | 0x7c00;
	let lo = 0;
	let hi = ladder.length - 1;
	while (hi - lo > 1) {
		const mid = (lo + hi) >> 1;
		if (ladder[mid].v <= a) lo = mid;
		else hi = mid;
	}
	const [p, q] = [ladder[lo], ladder[hi]];
	const dp = a - p.v;
	const dq = q.v - a;
	const pick = dp < dq ? p : dq < dp ? q : p.h % 2 === 0 ? p : q;
	return sign | pick.h;
}

describe('F16 → F32', () => {
	it('decodes all 65 536 bit patterns exactly (subnormals, ±0, ±Inf, NaN)', () => {
		const all = new Uint16Array(65536).map((_, i) => i);
		const out = f16ToF32(all);
		const wrong: string[] = [];
		for (let h = 0; h < 65536; h++) {
			const want = halfValue(h);
			if (Number.isNaN(want) ? !Number.isNaN(out[h]) : !Object.is(out[h], want)) wrong.push(`0x${h.toString(16)}`);
		}
		expect(wrong).toEqual([]);
		expect(out[0x0001]).toBe(2 ** -24);
		expect(out[0x03ff]).toBe(1023 * 2 ** -24);
		expect(out[0x7bff]).toBe(65504);
		expect(Object.is(out[0x8000], -0)).toBe(true);
	});

	it('F32 → F16 → F32 is the identity on every half value, and NaN stays NaN', () => {
		const all = new Uint16Array(65536).map((_, i) => i);
		const back = f32ToF16(f16ToF32(all));
		const wrong: number[] = [];
		for (let h = 0; h < 65536; h++) {
			const ok = Number.isNaN(halfValue(h)) ? (back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0 : back[h] === h;
			if (!ok) wrong.push(h);
		}
		expect(wrong).toEqual([]);
	});
});

describe('F32 → F16 rounds to nearest even', () => {
	it('matches an exhaustive nearest-value search on ties, near-ties, subnormals, overflow and random values', () => {
		const xs: number[] = [0, -0, 1, -1, 65504, 65519, 65520, 65536, 1e6, -1e6, Number.POSITIVE_INFINITY, 1e-10];
		xs.push(2 ** -24, 2 ** -25, 2 ** -25 * 1.0000001, 3 * 2 ** -26, 2 ** -14, 2 ** -14 - 2 ** -25);
		// Exact midpoints between neighbouring halves (ties) and the float32 values either side of them.
		for (let h = 0; h < 0x7bff; h += 37) {
			const mid = (halfValue(h) + halfValue(h + 1)) / 2;
			const m = Math.fround(mid);
			expect(m).toBe(mid); // every midpoint is a float32
			xs.push(m, f32(bitsOf(m) + 1), f32(bitsOf(m) - 1), -m);
		}
		const rand = mulberry32(7);
		for (let i = 0; i < 3000; i++) {
			xs.push(Math.fround((rand() - 0.5) * 2 ** Math.floor(rand() * 44 - 28)));
		}
		const got = f32ToF16(Float32Array.from(xs));
		const wrong = xs.filter((x, i) => got[i] !== nearestHalf(Math.fround(x)));
		expect(wrong).toEqual([]);
	});

	it('keeps NaN a NaN with its sign, never Inf', () => {
		for (const bits of [0x7fc00000, 0xffc00000, 0x7f800001, 0x7fffffff]) {
			const h = f32BitsToF16Bits(bits);
			expect(h & 0x7c00).toBe(0x7c00);
			expect(h & 0x3ff).not.toBe(0);
			expect(h & 0x8000).toBe(bits >>> 31 ? 0x8000 : 0);
		}
	});
});

describe('BF16', () => {
	it('decodes by placing the 16 bits on top of a float32', () => {
		const all = new Uint16Array(65536).map((_, i) => i);
		const out = bf16ToF32(all);
		const bits = new Uint32Array(out.buffer);
		expect(bits.every((b, h) => b === h * 65536)).toBe(true);
		expect(out[0x3f80]).toBe(1);
		expect(out[0xc040]).toBe(-3);
	});

	it('rounds F32 → BF16 to nearest even (checked in float64), overflow to Inf, NaN kept', () => {
		const rand = mulberry32(11);
		const xs: number[] = [1, 1 + 2 ** -8, 1 + 2 ** -8 + 2 ** -23, 1 + 3 * 2 ** -8, 3.4028234663852886e38, -0];
		for (let i = 0; i < 5000; i++) xs.push(f32((rand() * 2 ** 32) >>> 0));
		const got = f32ToBF16(Float32Array.from(xs));
		const wrong = xs.filter((x0, i) => {
			const x = Math.fround(x0);
			if (Number.isNaN(x)) return (got[i] & 0x7f80) !== 0x7f80 || (got[i] & 0x7f) === 0;
			const b = bitsOf(x);
			const down = b >>> 16;
			const up = down + 1;
			const vDown = f32((down << 16) >>> 0);
			// The next bf16 up may be ±Inf: its distance is measured to 2^128, where rounding would carry.
			const vUp = (up & 0x7f80) === 0x7f80 ? Math.sign(x) * 2 ** 128 : f32((up << 16) >>> 0);
			const dd = Math.abs(x - vDown);
			const du = Math.abs(vUp - x);
			const want = dd < du ? down : du < dd ? up : down % 2 === 0 ? down : up;
			return got[i] !== (want & 0xffff);
		});
		expect(wrong).toEqual([]);
		expect(f32BitsToBF16Bits(0x7f7fffff)).toBe(0x7f80); // FLT_MAX rounds up to +Inf
		expect(f32BitsToBF16Bits(0x7fffffff) & 0x7f).not.toBe(0);
	});
});

describe('decodeToFloat32 / encodeFromFloat32', () => {
	it('returns a fresh aligned Float32Array even from unaligned bytes, wrapping an owned aligned buffer', () => {
		const values = Float32Array.from([1.5, -2, 3.25]);
		for (const dtype of ['F32', 'F16', 'BF16'] as const) {
			const enc = encodeFromFloat32(values, dtype);
			const shifted = new Uint8Array(enc.byteLength + 1);
			shifted.set(enc, 1);
			const out = decodeToFloat32(shifted.subarray(1), dtype);
			expect(Array.from(out)).toEqual([1.5, -2, 3.25]);
			expect(out.byteOffset).toBe(0);
			shifted.fill(0);
			expect(Array.from(out)).toEqual([1.5, -2, 3.25]);
		}
		const owned = encodeFromFloat32(values, 'F32');
		expect(decodeToFloat32(owned, 'F32').buffer).toBe(owned.buffer);
		expect(() => decodeToFloat32(new Uint8Array(6), 'F32')).toThrow(/not a whole number of F32 values/);
	});
});
