import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { getTf, initBackend } from '../../../../src/lib/dph/backend';
import { fastBatchMatMulStats, fastBatchPlan } from '../../../../src/lib/dph/kernels/batch-matmul';
import { BATCH_MATMUL_WASM, BATCH_MATMUL_WASM_SHARED } from '../../../../src/lib/dph/kernels/batch-matmul-wasm';
import { mulberry32 } from '../../../../src/lib/dph/random';

/**
 * op(A)·B in float64, op = transpose when asked, with numpy-style broadcasting of the leading axes (equal, or one
 * side all 1).
 */
function reference(
	a: Float32Array,
	aShape: number[],
	b: Float32Array,
	bShape: number[],
	transposeA = false,
): Float64Array {
	const [r, c] = aShape.slice(-2);
	const [m, k] = transposeA ? [c, r] : [r, c];
	const n = bShape.at(-1) as number;
	const batchA = aShape.slice(0, -2).reduce((x, y) => x * y, 1);
	const batchB = bShape.slice(0, -2).reduce((x, y) => x * y, 1);
	const batch = Math.max(batchA, batchB);
	const out = new Float64Array(batch * m * n);
	for (let t = 0; t < batch; t++) {
		const ao = (batchA === 1 ? 0 : t) * m * k;
		const bo = (batchB === 1 ? 0 : t) * k * n;
		const at = (i: number, p: number) => a[ao + (transposeA ? p * m + i : i * k + p)];
		for (let i = 0; i < m; i++)
			for (let j = 0; j < n; j++) {
				let s = 0;
				for (let p = 0; p < k; p++) s += at(i, p) * b[bo + p * n + j];
				out[t * m * n + i * n + j] = s;
			}
	}
	return out;
}

const random = (rand: () => number, size: number) => Float32Array.from({ length: size }, () => rand() * 2 - 1);

describe('the fast batched product on wasm', () => {
	it('equals a float64 product for batched shapes with odd sizes, tails and broadcast operands', async () => {
		await initBackend({ prefer: 'wasm' });
		const tf = await getTf();
		const rand = mulberry32(11);
		const before = tf.memory().numTensors;
		const cases: [number[], number[], boolean?][] = [
			[
				[2, 7, 5],
				[2, 5, 19],
			],
			[
				[3, 33, 17],
				[3, 17, 37],
			],
			[
				[4, 1, 1],
				[4, 1, 1],
			],
			[
				[2, 3, 32, 8],
				[2, 3, 8, 32],
			],
			[
				[2, 4, 16, 16],
				[1, 1, 16, 16],
			],
			[
				[1, 5, 6],
				[3, 6, 20],
			],
			[
				[6, 2, 0],
				[6, 0, 3],
			],
			[
				[128, 32, 32],
				[128, 32, 32],
			],
			// A transposed (stored [k, m]), 2-D and batched: tfjs' loop too, and the gradient's xᵀ·dy.
			[[5, 7], [5, 19], true],
			[[128, 64], [128, 33], true],
			[[3, 17, 9], [3, 17, 40], true],
			[[2, 6, 3], [1, 6, 16], true],
			[[40, 130], [40, 70], true],
		];
		for (const [aShape, bShape, tA = false] of cases) {
			const av = random(
				rand,
				aShape.reduce((x, y) => x * y, 1),
			);
			const bv = random(
				rand,
				bShape.reduce((x, y) => x * y, 1),
			);
			const calls = fastBatchMatMulStats.calls;
			const c = tf.tidy(() => tf.matMul(tf.tensor(av, aShape), tf.tensor(bv, bShape), tA));
			// The fast kernel did it (tfjs' own loop would give the same numbers).
			expect(fastBatchMatMulStats.calls, `${aShape} · ${bShape}`).toBe(calls + 1);
			const want = reference(av, aShape, bv, bShape, tA);
			const got = c.dataSync();
			expect(c.shape).toEqual(fastBatchPlan(aShape, bShape, tA, false)?.outShape);
			expect(got.length).toBe(want.length);
			let err = 0;
			for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
			// float32 accumulation over k ≤ 128 terms of size ≤ 1.
			expect(err, `${aShape} · ${bShape}`).toBeLessThan(2e-5);
			c.dispose();
		}
		expect(tf.memory().numTensors).toBe(before);
	});

	it('keeps tfjs kernels for what it does not take: a transposed B, plain 2-D products, mismatched batches', async () => {
		await initBackend({ prefer: 'wasm' });
		const tf = await getTf();
		const rand = mulberry32(5);
		const av = random(rand, 2 * 6 * 4);
		const bv = random(rand, 2 * 5 * 4);
		const calls = fastBatchMatMulStats.calls;
		const t = tf.tidy(() => tf.matMul(tf.tensor(av, [2, 6, 4]), tf.tensor(bv, [2, 5, 4]), false, true).arraySync());
		expect(fastBatchMatMulStats.calls).toBe(calls);
		// Transposed B by hand: B[b][j][p].
		for (let b = 0; b < 2; b++)
			for (let i = 0; i < 6; i++)
				for (let j = 0; j < 5; j++) {
					let s = 0;
					for (let p = 0; p < 4; p++) s += av[b * 24 + i * 4 + p] * bv[b * 20 + j * 4 + p];
					expect((t as number[][][])[b][i][j]).toBeCloseTo(s, 5);
				}
		expect(fastBatchPlan([6, 4], [4, 5], false, false)).toBeNull();
		expect(fastBatchPlan([1, 6, 4], [1, 4, 5], false, false)).toBeNull();
		expect(fastBatchPlan([2, 6, 4], [2, 4, 5], false, true)).toBeNull();
		expect(fastBatchPlan([2, 4, 6], [2, 5, 5], true, false)).toBeNull();
		expect(fastBatchPlan([2, 6, 4], [3, 4, 5], false, false)).toBeNull();
		expect(fastBatchPlan([2, 3, 6, 4], [3, 2, 4, 5], false, false)).toBeNull();
		expect(fastBatchPlan([2, 6, 4], [2, 5, 5], false, false)).toBeNull();
		expect(fastBatchPlan([2, 3, 6, 4], [1, 4, 5], false, false)).toEqual({
			batch: 6,
			m: 6,
			k: 4,
			n: 5,
			aStride: 96,
			bStride: 0,
			sai: 16,
			sap: 4,
			outShape: [2, 3, 6, 5],
		});
		// A transposed, 2-D: A is stored [k, m] = [4, 6].
		expect(fastBatchPlan([4, 6], [4, 5], true, false)).toEqual({
			batch: 1,
			m: 6,
			k: 4,
			n: 5,
			aStride: 0,
			bStride: 0,
			sai: 4,
			sap: 24,
			outShape: [6, 5],
		});
	});

	it('gives the gradients of a batched product that finite differences give', async () => {
		await initBackend({ prefer: 'wasm' });
		const tf = await getTf();
		const rand = mulberry32(3);
		const av = random(rand, 3 * 4 * 5);
		const bv = random(rand, 3 * 5 * 6);
		const wv = random(rand, 3 * 4 * 6);
		const f = (a: Float32Array, b: Float32Array) => {
			const c = reference(a, [3, 4, 5], b, [3, 5, 6]);
			return c.reduce((s, x, i) => s + x * wv[i], 0);
		};
		const [ga, gb] = tf.tidy(() => {
			const g = tf.grads((a: TF.Tensor, b: TF.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), tf.tensor(wv, [3, 4, 6]))));
			return g([tf.tensor(av, [3, 4, 5]), tf.tensor(bv, [3, 5, 6])]).map((t) => t.dataSync());
		});
		const h = 1e-3;
		for (const [x, g] of [
			[av, ga],
			[bv, gb],
		] as const) {
			for (const i of [0, 7, x.length - 1]) {
				const up = Float32Array.from(x);
				const down = Float32Array.from(x);
				up[i] += h;
				down[i] -= h;
				const fd = x === av ? (f(up, bv) - f(down, bv)) / (2 * h) : (f(av, up) - f(av, down)) / (2 * h);
				expect(g[i]).toBeCloseTo(fd, 3);
			}
		}
	});

	it('ships binaries that are what batch-matmul.wat assembles to, and V8 compiles both', () => {
		execFileSync('node', ['scripts/build-kernels.mjs', '--check'], { stdio: 'pipe' });
		for (const b64 of [BATCH_MATMUL_WASM, BATCH_MATMUL_WASM_SHARED])
			expect(() => new WebAssembly.Module(Buffer.from(b64, 'base64'))).not.toThrow();
	});
});

import type * as TF from '@tensorflow/tfjs';
