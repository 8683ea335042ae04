import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, clipByGlobalNormSync, clipScale, globalNorm } from '../../../../src/lib/dph/train/clip';
import { expectClose, fresh, read, type Tensor, tf, useCpu, type Variable, variable } from './tf-helpers';

beforeAll(useCpu);

describe('gradient clipping', () => {
	it('clips the global L2 norm with torch.nn.utils.clip_grad_norm_ semantics and reports the pre-clip norm', async () => {
		const grads = { a: tf.tensor2d([3, 4], [1, 2]), b: tf.tensor1d([12]) };
		const res = await clipByGlobalNorm(tf, grads, 1);
		expect(res.norm).toBeCloseTo(13, 5);
		expect(res.finite).toBe(true);
		const coef = 1 / (13 + 1e-6); // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to ≤ 1
		expect(res.scale).toBeCloseTo(coef, 12);
		expectClose(read(res.grads.a), [3 * coef, 4 * coef], 1e-7);
		expectClose(read(res.grads.b), [12 * coef], 1e-7);
		expect(res.grads.a.shape).toEqual([1, 2]);
		const n = globalNorm(tf, grads);
		expect(n.dataSync()[0]).toBeCloseTo(13, 5);

		// Below the limit: unchanged values, but new tensors the caller owns.
		const sync = clipByGlobalNormSync(tf, grads, 20);
		expect(sync.scale).toBe(1);
		expect(sync.grads.a).not.toBe(grads.a);
		expect(read(sync.grads.a)).toEqual([3, 4]);
		// At the limit torch already scales by 1/(1 + 1e-6).
		const unit = tf.tensor1d([0.6, 0.8]);
		const atLimit = clipByGlobalNormSync(tf, new Map([[tf.variable(unit, true, fresh('u')), unit]]), 1);
		expect(atLimit.scale).toBeLessThan(1);
		expect(atLimit.scale).toBeGreaterThan(1 - 2e-6);
		// max_norm ≤ 0 disables clipping (the reference's opt_max_grad_norm = 0) but still reports the norm.
		expect(clipScale(13, 0)).toBe(1);
		expect(clipScale(0.5, 1)).toBe(1);
		tf.dispose([
			...Object.values(grads),
			...Object.values(res.grads),
			...Object.values(sync.grads),
			...atLimit.grads.keys(),
			...atLimit.grads.values(),
			unit,
			n,
		]);
	});

	it('keys the result like the input: a Map by variable', () => {
		const v1 = variable([0, 0], fresh('v1'));
		const v2 = variable([0], fresh('v2'));
		const grads = new Map<Variable, Tensor>([
			[v1, tf.tensor1d([6, 8])],
			[v2, tf.tensor1d([0])],
		]);
		const res = clipByGlobalNormSync(tf, grads, 5);
		expect(res.norm).toBeCloseTo(10, 5);
		expectClose(read(res.grads.get(v1)!), [3, 4], 1e-5);
		expect([...res.grads.keys()]).toEqual([v1, v2]);
		tf.dispose([...grads.values(), ...res.grads.values(), v1, v2]);
	});

	it('a NaN or infinite gradient gives a non-finite norm the caller can detect', async () => {
		const nanGrads = { a: tf.tensor1d([1, Number.NaN]), b: tf.tensor1d([2]) };
		const r1 = await clipByGlobalNorm(tf, nanGrads, 1);
		expect(Number.isNaN(r1.norm)).toBe(true);
		expect(r1.finite).toBe(false);
		expect(read(r1.grads.b)).toEqual([2]); // returned unscaled; the step is to be skipped
		const infGrads = { a: tf.tensor1d([1, Number.POSITIVE_INFINITY]) };
		const r2 = clipByGlobalNormSync(tf, infGrads, 1);
		expect(r2.norm).toBe(Number.POSITIVE_INFINITY);
		expect(r2.finite).toBe(false);
		tf.dispose([
			...Object.values(nanGrads),
			...Object.values(r1.grads),
			...Object.values(infGrads),
			...Object.values(r2.grads),
		]);
	});
});
