import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { layerNorm, swigluFfn } from '../../../../src/lib/dph/model/lswt-ops';

tf.env().set('PROD', true);

const vals = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 3.71 + i * 1.13));

/** float64 LayerNorm over rows of x [N, D] (biased variance, eps 1e-5), weighted by c: Σ c ⊙ LN(x). */
function lnLoss64(x: number[], w: number[], b: number[], c: number[], N: number, D: number): number {
	let acc = 0;
	for (let n = 0; n < N; n++) {
		const row = x.slice(n * D, (n + 1) * D);
		const m = row.reduce((a, v) => a + v, 0) / D;
		const s = Math.sqrt(row.reduce((a, v) => a + (v - m) ** 2, 0) / D + 1e-5);
		row.forEach((v, i) => {
			acc += c[n * D + i] * (((v - m) / s) * w[i] + b[i]);
		});
	}
	return acc;
}

for (const backend of ['wasm', 'cpu']) {
	describe(`${backend}: LSWT ops with their own gradients`, () => {
		it('layerNorm: value and dx, dw, db match float64 finite differences; no tensor left behind', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			const [B, S, D] = [2, 3, 5];
			const N = B * S;
			const plain = [vals(N * D, 1).map((v) => 3 * v + 0.5), vals(D, 2).map((v) => 1 + v), vals(D, 3)];
			const cv = vals(N * D, 4);
			const [x, w, b] = [tf.tensor3d(plain[0], [B, S, D]), tf.tensor1d(plain[1]), tf.tensor1d(plain[2])];
			const c = tf.tensor3d(cv, [B, S, D]);
			const y = layerNorm(tf, x, w, b);
			expect(y.shape).toEqual([B, S, D]);
			const sumY = tf.tidy(() => tf.sum(tf.mul(y, c)));
			expect(sumY.dataSync()[0]).toBeCloseTo(lnLoss64(plain[0], plain[1], plain[2], cv, N, D), 4);
			const grads = tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(layerNorm(tf, t[0], t[1], t[2]), c)))([x, w, b]);
			grads.forEach((g, which) => {
				expect(g.shape).toEqual([x, w, b][which].shape);
				const got = g.dataSync();
				plain[which].forEach((_, k) => {
					const at = (d: number) => {
						const v = plain.map((p, j) => (j === which ? p.map((e, m) => (m === k ? e + d : e)) : p));
						return lnLoss64(v[0], v[1], v[2], cv, N, D);
					};
					const fd = (at(1e-4) - at(-1e-4)) / 2e-4;
					expect(Math.abs(got[k] - fd), `${['dx', 'dw', 'db'][which]}[${k}]: ${got[k]} vs ${fd}`).toBeLessThan(2e-3);
				});
			});
			tf.dispose([x, w, b, c, y, sumY, ...grads]);
			expect(tf.memory().numTensors).toBe(before);
		});

		it('swigluFfn from fc1 weight halves equals the product-then-split form, value and gradients', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			const [N, D, F] = [4, 3, 5];
			const h = tf.tensor3d(vals(N * D, 5), [1, N, D]);
			const w1 = tf.tensor2d(vals(2 * F * D, 6), [2 * F, D]);
			const b1 = tf.tensor1d(vals(2 * F, 7));
			const w2 = tf.tensor2d(vals(D * F, 8), [D, F]);
			const b2 = tf.tensor1d(vals(D, 9));
			// The textbook form, on tfjs' own ops and gradients: fc1, split [value, gate], value ⊙ silu(gate), fc2.
			const textbook = (hh: tf.Tensor, a1: tf.Tensor, c1: tf.Tensor, a2: tf.Tensor, c2: tf.Tensor) =>
				tf.tidy(() => {
					const u = tf.add(tf.matMul(tf.reshape(hh, [N, D]), a1, false, true), c1);
					const [v, g] = tf.split(u, 2, -1);
					const inner = tf.mul(v, tf.mul(g, tf.sigmoid(g)));
					return tf.reshape(tf.add(tf.matMul(inner, a2, false, true), c2), [1, N, D]);
				});
			const ins = [h, w1, b1, w2, b2];
			const c = tf.tensor3d(vals(N * D, 10), [1, N, D]);
			const loss =
				(f: typeof textbook) =>
				(...t: tf.Tensor[]) =>
					tf.sum(tf.mul(f(t[0], t[1], t[2], t[3], t[4]), c));
			const ours = (hh: tf.Tensor, a1: tf.Tensor, c1: tf.Tensor, a2: tf.Tensor, c2: tf.Tensor) =>
				swigluFfn(tf, hh, a1, c1, a2, c2);
			const y1 = ours(h, w1, b1, w2, b2);
			const y0 = textbook(h, w1, b1, w2, b2);
			const [a, e] = [y1.dataSync(), y0.dataSync()];
			for (let i = 0; i < e.length; i++) expect(a[i]).toBeCloseTo(e[i], 5);
			const g1 = tf.grads(loss(ours))(ins);
			const g0 = tf.grads(loss(textbook))(ins);
			g1.forEach((g, j) => {
				const [p, q] = [g.dataSync(), g0[j].dataSync()];
				expect(g.shape).toEqual(g0[j].shape);
				for (let i = 0; i < q.length; i++) expect(Math.abs(p[i] - q[i]), `input ${j}[${i}]`).toBeLessThan(1e-5);
			});
			tf.dispose([...ins, c, y1, y0, ...g1, ...g0]);
			expect(tf.memory().numTensors).toBe(before);
		});
	});
}

afterAll(() => tf.disposeVariables());
