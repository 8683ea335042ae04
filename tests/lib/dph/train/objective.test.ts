import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cdpoLoss, sequenceLogProbs } from '../../../../src/lib/dph/train/objective';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

/** log σ(x) in float64, stable for both signs. */
const logSig = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));

/** Paper eq. 3 written out in float64: −(1−ε)·logσ(βz) − ε·logσ(−βz), z = (π_w − π_l) − (ref_w − ref_l). */
function cdpo64(policy: number[], ref: number[], beta: number, eps: number): number {
	const B = policy.length / 2;
	let total = 0;
	for (let i = 0; i < B; i++) {
		const z = policy[i] - policy[B + i] - (ref[i] - ref[B + i]);
		total += -(1 - eps) * logSig(beta * z) - eps * logSig(-beta * z);
	}
	return total / B;
}

describe('cdpoLoss', () => {
	const policy = [-12.5, -40.25, -3, -7.75, -20, -9.5];
	const ref = [-13, -35, -3.5, -8, -25, -9];
	for (const [beta, eps] of [
		[0.6, 0.25],
		[0.1, 0],
		[2, 0.5],
		[0.05, 0.1],
	]) {
		it(`matches eq. 3 in float64 (β = ${beta}, ε = ${eps})`, () => {
			const before = tf.memory().numTensors;
			const p = tf.tensor1d(policy);
			const r = tf.tensor1d(ref);
			const loss = cdpoLoss(tf, p, r, beta, eps);
			expect(loss.dataSync()[0]).toBeCloseTo(cdpo64(policy, ref, beta, eps), 5);
			tf.dispose([p, r, loss]);
			expect(tf.memory().numTensors).toBe(before);
		});
	}

	it('depends on the batch only through the log-ratio margins', () => {
		const shift = policy.map((v, i) => v + (i % 3) * 4);
		const shiftRef = ref.map((v, i) => v + (i % 3) * 4);
		const loss = (pi: number[], rf: number[]) =>
			tf.tidy(() => cdpoLoss(tf, tf.tensor1d(pi), tf.tensor1d(rf), 0.6, 0.25).dataSync()[0]);
		const a = loss(policy, ref);
		const b = loss(shift, shiftRef);
		expect(b).toBeCloseTo(a, 5);
	});
});

describe('sequenceLogProbs', () => {
	it('sums and averages the masked target log-softmax, as a float64 loop does', () => {
		const V = 5;
		const lg = [
			[0.1, -1, 2, 0.5, 0],
			[3, 0, -2, 1, 1],
			[-0.5, 0.25, 0, 0, 4],
		];
		const targets = [2, 0, 4];
		const mask = [1, 0, 1];
		let sum = 0;
		for (let t = 0; t < lg.length; t++) {
			const lse = Math.log(lg[t].reduce((a, v) => a + Math.exp(v), 0));
			sum += mask[t] * (lg[t][targets[t]] - lse);
		}
		const out = sequenceLogProbs(
			tf,
			tf.tensor3d([lg], [1, 3, V]),
			tf.tensor2d([targets], [1, 3], 'int32'),
			tf.tensor2d([mask]),
		);
		expect(out.sum.dataSync()[0]).toBeCloseTo(sum, 5);
		expect(out.mean.dataSync()[0]).toBeCloseTo(sum / 2, 5);
	});
});
