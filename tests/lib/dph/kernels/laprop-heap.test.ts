/**
 * LaProp's one-pass update on the wasm heap gives the same bits as the tfjs ops it replaces, for every decay mode
 * and with a clipping factor; the global norm read in place agrees with the tensor norm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32, normal } from '../../../../src/lib/dph/random';
import { globalNorm, globalNormValue } from '../../../../src/lib/dph/train/clip';
import { LaProp } from '../../../../src/lib/dph/train/laprop';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('wasm');
});
afterAll(async () => {
	await tf.setBackend('cpu');
});

const rand = mulberry32(11);
const values = (n: number, s = 1) => Float32Array.from({ length: n }, () => s * normal(rand));
let id = 0;

describe('LaProp on the wasm heap', () => {
	it('matches the tfjs ops bit for bit over 5 steps (decay to 0, to θ0, none; clipped gradients)', () => {
		const before = tf.memory().numTensors;
		const shapes = [[37], [5, 9], [3, 4, 7]];
		const init = shapes.map((s) => values(s.reduce((a, b) => a * b, 1)));
		const run = (fused: boolean) => {
			const vars = shapes.map((s, i) => tf.tidy(() => tf.variable(tf.tensor(init[i], s), true, `lh${id++}`)));
			const opt = new LaProp(
				tf,
				[
					{ vars: [vars[0]], weightDecay: 0.1 },
					{ vars: [vars[1]], weightDecay: 0.3, decayInit: true },
					{ vars: [vars[2]] },
				],
				{ fused },
			);
			const r = mulberry32(5);
			for (let step = 0; step < 5; step++) {
				const grads = new Map(
					vars.map((v) => [
						v,
						tf.tensor(
							Float32Array.from({ length: v.size }, () => normal(r)),
							v.shape,
						),
					]),
				);
				opt.applyGradients(grads, 0.01 * (step + 1), step % 2 ? 0.37 : 1);
				tf.dispose([...grads.values()]);
			}
			const out = vars.map((v) => Array.from(v.dataSync()));
			const state = opt.getStateSync();
			opt.dispose();
			tf.dispose(vars);
			return { out, state };
		};
		const fused = run(true);
		const ops = run(false);
		expect(fused.out).toEqual(ops.out);
		// The variables' names differ between the two runs; everything else in the state is the same.
		const unnamed = (r: typeof fused) => r.state.params.map(({ name: _, ...rest }) => rest);
		expect(unnamed(fused)).toEqual(unnamed(ops));
		expect(fused.out[0]).not.toEqual(Array.from(init[0]));
		expect(tf.memory().numTensors).toBe(before);
	});

	it('reads the global norm in place, as the tensor norm computes it', async () => {
		const gs = [tf.tensor(values(1000, 3)), tf.tensor(values(7, 0.1), [7, 1]), tf.tensor(values(0), [0])];
		const want = globalNorm(tf, { a: gs[0], b: gs[1], c: gs[2] });
		const got = await globalNormValue(tf, { a: gs[0], b: gs[1], c: gs[2] });
		expect(Math.abs(got - want.dataSync()[0]) / got).toBeLessThan(1e-6);
		const f64 = Math.sqrt([...gs].flatMap((g) => Array.from(g.dataSync())).reduce((s, x) => s + x * x, 0));
		expect(got).toBeCloseTo(f64, 10);
		// Past float32's range the norm is +∞, as the tensor norm (and torch's) gives: the divergence checks need it.
		const huge = tf.tensor([1e20, 1e20]);
		expect(await globalNormValue(tf, { huge })).toBe(Number.POSITIVE_INFINITY);
		tf.dispose([...gs, want, huge]);
	});
});
