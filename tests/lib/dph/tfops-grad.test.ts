import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { dense, embed, ONE_HOT_MAX, rotateHalf, sumRows } from '../../../src/lib/dph/tfops';

tf.env().set('PROD', true);

/** Deterministic values in (−1, 1) that are not a pattern a wrong index would also reproduce. */
const vals = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 7.13 + i * 1.37));

/** float64 x·wᵀ + b on plain arrays, x [N, I], w [O, I]. */
function dense64(x: number[], w: number[], b: number[] | null, N: number, I: number, O: number) {
	const y = new Array(N * O).fill(0);
	for (let n = 0; n < N; n++)
		for (let o = 0; o < O; o++) {
			let a = b ? b[o] : 0;
			for (let i = 0; i < I; i++) a += x[n * I + i] * w[o * I + i];
			y[n * O + o] = a;
		}
	return y;
}

const close = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string) => {
	expect(got.length, what).toBe(want.length);
	for (let i = 0; i < want.length; i++)
		expect(Math.abs(got[i] - want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThan(tol);
};

// The wasm variants carry hand-written gradients; cpu takes tfjs' own. Both must give the same numbers.
for (const backend of ['wasm', 'cpu']) {
	describe(`${backend}: model ops with their own gradients`, () => {
		// Both shapes of the weight-gradient choice: out ≤ in (transpose dy) and out > in (transpose x, then back).
		for (const [N, I, O] of [
			[5, 4, 3],
			[5, 3, 7],
		]) {
			for (const bias of [true, false]) {
				it(`dense [${N}, ${I}] · [${O}, ${I}]ᵀ${bias ? ' + b' : ''}: value and gradients match float64 finite differences`, async () => {
					await tf.setBackend(backend);
					const before = tf.memory().numTensors;
					const xv = vals(N * I, 1);
					const wv = vals(O * I, 2);
					const bv = bias ? vals(O, 3) : null;
					const cv = vals(N * O, 4); // loss = Σ c ⊙ y, so dL/dy = c
					const x = tf.tensor2d(xv, [N, I]);
					const w = tf.tensor2d(wv, [O, I]);
					const b = bv ? tf.tensor1d(bv) : null;
					const c = tf.tensor2d(cv, [N, O]);
					const y = dense(tf, x, w, b ?? undefined);
					close(y.dataSync(), dense64(xv, wv, bv, N, I, O), 1e-5, 'y');
					const loss = (xs: number[], ws: number[], bs: number[] | null) =>
						dense64(xs, ws, bs, N, I, O).reduce((a, v, k) => a + v * cv[k], 0);
					const inputs = b ? [x, w, b] : [x, w];
					const grads = tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(dense(tf, t[0], t[1], t[2]), c)))(inputs);
					const plain = [xv, wv, bv ?? []];
					grads.forEach((g, which) => {
						const base = plain[which];
						const fd = base.map((_, k) => {
							const bump = (d: number) => {
								const v = plain.map((p, j) => (j === which ? p.map((e, m) => (m === k ? e + d : e)) : p));
								return loss(v[0], v[1], bias ? v[2] : null);
							};
							return (bump(1e-4) - bump(-1e-4)) / 2e-4;
						});
						close(g.dataSync(), fd, 1e-4, ['dx', 'dw', 'db'][which]);
					});
					tf.dispose([x, w, c, y, ...(b ? [b] : []), ...grads]);
					expect(tf.memory().numTensors).toBe(before);
				});
			}
		}

		it('embed without a gradient equals tf.gather, for a table either side of ONE_HOT_MAX', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			for (const [V, D] of [
				[7, 4],
				[Math.floor(ONE_HOT_MAX / 8) + 1, 8],
			]) {
				const table = tf.tensor2d(vals(V * D, 8), [V, D]);
				const ids = tf.tensor2d([0, V - 1, 3, 3, 1, 5], [2, 3], 'int32');
				const got = embed(tf, table, ids);
				const want = tf.gather(table, ids);
				expect(got.shape).toEqual([2, 3, D]);
				// A one-hot row times the table is exactly the looked-up row: one 1·x, the rest 0·x.
				expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
				tf.dispose([table, ids, got, want]);
			}
			expect(tf.memory().numTensors).toBe(before);
		});

		it('sumRows equals the column sums', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			const v = vals(6 * 4, 5);
			const x = tf.tensor2d(v, [6, 4]);
			const s = sumRows(tf, x);
			expect(s.shape).toEqual([4]);
			close(
				s.dataSync(),
				[0, 1, 2, 3].map((j) => [0, 1, 2, 3, 4, 5].reduce((a, i) => a + v[i * 4 + j], 0)),
				1e-6,
				'sum',
			);
			tf.dispose([x, s]);
			expect(tf.memory().numTensors).toBe(before);
		});

		it('rotateHalf is [−x2, x1] exactly, and its gradient is the transposed map', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			const [R, D] = [3, 6];
			const v = vals(R * D, 6);
			const x = tf.tensor3d(v, [1, R, D]);
			const got = rotateHalf(tf, x);
			expect(got.shape).toEqual([1, R, D]);
			const want = v.map((_, k) => {
				const [r, j] = [Math.floor(k / D), k % D];
				return j < D / 2 ? -v[r * D + j + D / 2] : v[r * D + j - D / 2];
			});
			// Exact: one ±x per output, the rest of the product zeros.
			expect(Array.from(got.dataSync())).toEqual(Array.from(new Float32Array(want)));
			// Σ c ⊙ rotate(x) is linear in x: its gradient at entry (r, i) is c at the position i moves to, signed.
			const cv = vals(R * D, 7);
			const c = tf.tensor3d(cv, [1, R, D]);
			const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(rotateHalf(tf, t), c)))(x);
			const gWant = cv.map((_, k) => {
				const [r, i] = [Math.floor(k / D), k % D];
				return i < D / 2 ? cv[r * D + i + D / 2] : -cv[r * D + i - D / 2];
			});
			expect(Array.from(g.dataSync())).toEqual(Array.from(new Float32Array(gWant)));
			const odd = tf.zeros([2, 3]);
			expect(() => rotateHalf(tf, odd)).toThrow(/must be even/);
			tf.dispose([x, got, c, g, odd]);
			expect(tf.memory().numTensors).toBe(before);
		});
	});
}

afterAll(() => tf.disposeVariables());
