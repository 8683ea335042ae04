import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { embed, logSigmoid } from '../../../src/lib/dph/tfops';

tf.env().set('PROD', true);

// Each "pins" test asserts that a tfjs 4.22 bug is still there. When one fails after a tfjs upgrade, the bug is
// fixed upstream: delete the workaround in src/lib/dph/tfops.ts together with the pin.
describe('tfjs 4.22 bugs we route around', () => {
	it('pins: the gradient of tf.logSigmoid fails on an intermediate tensor', async () => {
		await tf.setBackend('cpu');
		const x = tf.tensor1d([0.5, -1, 2]);
		expect(() => tf.grad((v: tf.Tensor) => tf.sum(tf.logSigmoid(tf.mul(v, 2))))(x)).toThrow();
		x.dispose();
	});

	it('logSigmoid = −softplus(−x): value and gradient match float64, stable at ±1e4', async () => {
		await tf.setBackend('cpu');
		const xs = [-1e4, -30, -2, -0.5, 0, 0.5, 2, 30, 1e4];
		const x = tf.tensor1d(xs);
		const v = logSigmoid(tf, x).dataSync();
		const g = tf
			.grad((t: tf.Tensor) => tf.sum(logSigmoid(tf, tf.mul(t, 1))))(x)
			.dataSync();
		xs.forEach((xi, i) => {
			const ref = xi < 0 ? xi - Math.log1p(Math.exp(xi)) : -Math.log1p(Math.exp(-xi));
			expect(v[i]).toBeCloseTo(ref, 4);
			expect(g[i]).toBeCloseTo(1 / (1 + Math.exp(xi)), 5); // d/dx log σ(x) = σ(−x)
		});
		x.dispose();
	});

	it('pins: the wasm backend has no gradient for gather', async () => {
		await tf.setBackend('wasm');
		const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
		const ids = tf.tensor1d([2, 0], 'int32');
		expect(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t as tf.Tensor2D, ids)))(table)).toThrow();
		tf.dispose([table, ids]);
	});

	it('pins: the wasm backend writes int32 bits into oneHot float32 output (1 reads as 1.4e-45)', async () => {
		await tf.setBackend('wasm');
		const oh = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4, 1, 0, 'float32');
		const v = Array.from(oh.dataSync());
		expect(v[1]).not.toBe(1);
		expect(v[1]).toBeLessThan(1e-40);
		oh.dispose();
	});

	for (const backend of ['wasm', 'cpu']) {
		it(`${backend}: differentiable embed equals gather and has the scatter-add gradient`, async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			const table = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
			const ids = tf.tensor2d([[2, 0, 2]], [1, 3], 'int32');
			const a = embed(tf, table, ids, { differentiable: true });
			const b = embed(tf, table, ids);
			expect(a.shape).toEqual([1, 3, 2]);
			expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
			const g = tf.grad((t: tf.Tensor) => tf.sum(embed(tf, t, ids, { differentiable: true })))(table);
			// Row 2 is used twice, row 0 once, row 1 never.
			expect(Array.from(g.dataSync())).toEqual([1, 1, 0, 0, 2, 2]);
			tf.dispose([table, ids, a, b, g]);
			expect(tf.memory().numTensors).toBe(before);
		});
	}
});

afterAll(() => tf.disposeVariables());
