import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer, TrainingDivergedError } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const yesNo = Array.from({ length: 64 }, (_, i) =>
	JSON.stringify({ prompt: `q${i % 7}`, chosen: 'yes', rejected: 'no' }),
);
const config = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 30,
		batchSize: 4,
		evalEvery: 5,
		data: { task: 'jsonl', jsonl: yesNo.join('\n') },
		optim: { lr: 3e-3, warmupSteps: 1 },
		...extra,
	});
const weights = (t: DPHTrainer) =>
	Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, Array.from(v.dataSync())]));
/** Overwrite a parameter with one value (as an update gone bad would), without leaking the filler tensor. */
function poison(t: DPHTrainer, name: string, value: number) {
	const v = t.params[name];
	const x = tf.fill(v.shape, value);
	v.assign(x);
	x.dispose();
}
const allFinite = (w: Record<string, number[]>) => Object.values(w).every((a) => a.every(Number.isFinite));

describe('DPHTrainer divergence: only weights known to be good are kept', () => {
	it('weight decay 1e30 (issue 13.6): the update itself overflows; rolled back to the initial weights, not to 7e26', async () => {
		const start = tf.memory().numTensors;
		const t = new DPHTrainer(
			tf,
			config({ optim: { lr: 3e-3, warmupSteps: 1, weightDecay: 1e30, decayInit: false, dphWeightDecay: 1e30 } }),
		);
		const initial = weights(t);
		const err = await t.step().catch((e: unknown) => e);
		expect(err).toBeInstanceOf(TrainingDivergedError);
		const d = err as TrainingDivergedError;
		expect({ step: d.step, quantity: d.quantity, rolledBackTo: d.rolledBackTo }).toEqual({
			step: 1,
			quantity: 'the weight norm after the update',
			rolledBackTo: 0,
		});
		expect(d.message).toMatch(/rolled back to step 0: the initial, untrained weights/);
		expect(t.weightsStep).toBe(0);
		expect(weights(t)).toEqual(initial);
		// What gets exported scores to finite numbers.
		const e = await t.evaluate();
		expect([e.dphLoss, e.dpoLoss, e.rewardChosen, e.rewardRejected, e.margin].every(Number.isFinite)).toBe(true);
		t.dispose();
		expect(tf.memory().numTensors).toBe(start);
	}, 120_000);

	it('a snapshot is of weights a forward and backward pass has accepted, never of weights just produced', async () => {
		const t = new DPHTrainer(tf, config({ evalEvery: 1 }));
		const initial = weights(t);
		await t.step();
		// Step 1's weights go bad before any pass has used them (as an update that overflows in the forward pass would
		// make them): the rollback must not return to them.
		poison(t, 'model.output_norm.weight', Number.NaN);
		const err = (await t.step().catch((e: unknown) => e)) as TrainingDivergedError;
		expect(err).toBeInstanceOf(TrainingDivergedError);
		expect([err.step, err.quantity, err.rolledBackTo]).toEqual([2, 'the loss', 0]);
		expect(weights(t)).toEqual(initial);
		// With a good step 2 behind it, step 2's weights are kept at step 3, and a later failure returns to them.
		await t.step();
		await t.step();
		const kept = weights(t);
		await t.step();
		poison(t, 'model.output_norm.weight', Number.POSITIVE_INFINITY);
		const err2 = (await t.step().catch((e: unknown) => e)) as TrainingDivergedError;
		expect(err2.rolledBackTo).toBe(t.stepCount - 1);
		expect(t.weightsStep).toBe(err2.rolledBackTo);
		expect(weights(t)).toEqual(kept);
		expect(allFinite(weights(t))).toBe(true);
		t.dispose();
	}, 120_000);

	it('a non-finite validation pass is divergence too, and rolls back; a rolled-back step leaks no tensors', async () => {
		const t = new DPHTrainer(tf, config());
		for (let i = 0; i < 5; i++) await t.step();
		const before = tf.memory().numTensors;
		await t.step(); // step 6 keeps step 5's weights
		const good = weights(t);
		await t.step();
		poison(t, 'reward_heads.reward.weight', Number.NaN);
		const err = (await t.evaluate().catch((e: unknown) => e)) as TrainingDivergedError;
		expect(err).toBeInstanceOf(TrainingDivergedError);
		expect([err.step, err.quantity]).toEqual([7, 'the validation loss']);
		expect(err.rolledBackTo).toBe(5);
		expect(weights(t)).not.toEqual(good); // step 6's weights were never kept…
		expect(allFinite(weights(t))).toBe(true); // …step 5's are back
		expect(tf.memory().numTensors).toBe(before);
		t.dispose();
	}, 120_000);

	it('initial weights that already give a non-finite loss: no good checkpoint at all (rolledBackTo null)', async () => {
		const t = new DPHTrainer(tf, config());
		poison(t, 'model.output_norm.weight', Number.NaN);
		const err = (await t.step().catch((e: unknown) => e)) as TrainingDivergedError;
		expect([err.step, err.quantity, err.rolledBackTo]).toEqual([1, 'the loss', null]);
		expect(err.message).toMatch(/there is no good checkpoint/);
		t.dispose();
	}, 60_000);
});
