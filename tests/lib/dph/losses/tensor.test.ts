import type * as TF from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
	getLoss,
	LOSS_NAMES,
	type LossParams,
	type PreferenceLoss,
	withLabelNoise,
} from '../../../../src/lib/dph/losses/index';
import { PARAM_SETS, POINTS, smoothAt } from './reference';

let tf: typeof TF;
beforeAll(async () => {
	tf = await import('@tensorflow/tfjs');
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

// [label, loss, params]: the label names the test (a whole loss object would be printed otherwise).
const cases: [string, PreferenceLoss<LossParams>, LossParams][] = [];
for (const name of LOSS_NAMES)
	for (const p of PARAM_SETS[name]) cases.push([`${name} ${JSON.stringify(p)}`, getLoss(name), p]);

// Points as float32, so the float64 reference sees exactly the inputs the tensors hold.
const RW = Float32Array.from(POINTS.map((q) => q[0]));
const RL = Float32Array.from(POINTS.map((q) => q[1]));

/** float32 agreement: 1e-5 relative with an absolute floor for values near 0. */
function near32(a: number, b: number): boolean {
	return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
}

describe('tensor form (tfjs cpu) = float64 form', () => {
	it.each(cases)('%s: per-pair values', (_label, loss, params) => {
		const p = loss.validate(params);
		const v = tf.tidy(() => loss.tensor(tf, tf.tensor1d(RW), tf.tensor1d(RL), p).dataSync());
		expect(v.length).toBe(RW.length);
		for (let i = 0; i < RW.length; i++) {
			const ref = loss.value(RW[i], RL[i], p);
			expect(near32(v[i], ref), `at (${RW[i]}, ${RL[i]}): ${v[i]} vs ${ref}`).toBe(true);
		}
	});

	it.each(cases)('%s: tf.grads = analytic gradient', (_label, loss, params) => {
		const name = loss.name;
		const p = loss.validate(params);
		const [gw, gl] = tf.tidy(() => {
			const f = (a: TF.Tensor, b: TF.Tensor) => tf.sum(loss.tensor(tf, a, b, p));
			const g = tf.grads(f)([tf.tensor1d(RW), tf.tensor1d(RL)]);
			return [g[0].dataSync(), g[1].dataSync()];
		});
		for (let i = 0; i < RW.length; i++) {
			if (!smoothAt(name, RW[i], RL[i], p)) continue;
			const [aw, al] = loss.grad(RW[i], RL[i], p);
			expect(near32(gw[i], aw), `∂/∂r_w at (${RW[i]}, ${RL[i]}): ${gw[i]} vs ${aw}`).toBe(true);
			expect(near32(gl[i], al), `∂/∂r_l at (${RW[i]}, ${RL[i]}): ${gl[i]} vs ${al}`).toBe(true);
		}
	});

	it.each(cases)('%s: finite and right at |r| = 1e4, gradients finite', (_label, loss, params) => {
		const p = loss.validate(params);
		const rw = Float32Array.from([1e4, -1e4, 1e4, -1e4, 0, 50, -50]);
		const rl = Float32Array.from([-1e4, 1e4, 1e4, -1e4, 1e4, -50, 0]);
		const [v, gw, gl] = tf.tidy(() => {
			const a = tf.tensor1d(rw);
			const b = tf.tensor1d(rl);
			const g = tf.grads((x: TF.Tensor, y: TF.Tensor) => tf.sum(loss.tensor(tf, x, y, p)))([a, b]);
			return [loss.tensor(tf, a, b, p).dataSync(), g[0].dataSync(), g[1].dataSync()];
		});
		for (let i = 0; i < rw.length; i++) {
			expect(Number.isFinite(v[i]) && Number.isFinite(gw[i]) && Number.isFinite(gl[i])).toBe(true);
			const ref = loss.value(rw[i], rl[i], p);
			// float32 at 1e4–1e10 magnitudes: relative 1e-5 of the value, absolute floor for the saturated zeros
			expect(Math.abs(v[i] - ref), `at (${rw[i]}, ${rl[i]}): ${v[i]} vs ${ref}`).toBeLessThanOrEqual(
				1e-5 * Math.max(1, Math.abs(ref)),
			);
		}
	});

	it('the label-noise wrapper has a tensor form too', () => {
		const noisy = withLabelNoise(getLoss('dpo'), 0.2);
		const v = tf.tidy(() => noisy.tensor(tf, tf.tensor1d(RW), tf.tensor1d(RL), {}).dataSync());
		for (let i = 0; i < RW.length; i++)
			expect(near32(v[i], getLoss('condph').value(RW[i], RL[i], { eps: 0.2 }))).toBe(true);
	});

	it('no tensor leaks: numTensors is flat across repeated calls of every tensor form and its gradient', () => {
		const a = tf.variable(tf.tensor1d(RW));
		const b = tf.variable(tf.tensor1d(RL));
		const run = () => {
			for (const [, loss, params] of cases) {
				const p = loss.validate(params);
				loss.tensor(tf, a, b, p).dispose();
				// The training path: gradients with respect to variables, as an optimizer takes them.
				const { value, grads } = tf.variableGrads(() => tf.sum(loss.tensor(tf, a, b, p)) as TF.Scalar, [a, b]);
				value.dispose();
				tf.dispose(Object.values(grads));
				tf.dispose(tf.grads((x: TF.Tensor, y: TF.Tensor) => tf.sum(loss.tensor(tf, x, y, p)))([a, b]));
			}
		};
		run();
		const before = tf.memory().numTensors;
		for (let k = 0; k < 3; k++) run();
		expect(tf.memory().numTensors).toBe(before);
		tf.dispose([a, b]);
	});
});
