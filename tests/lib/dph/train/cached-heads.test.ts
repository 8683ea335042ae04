import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { canCacheBackbone } from '../../../../src/lib/dph/train/cached-heads';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const frozenHeads = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 3,
		batchSize: 3,
		accumulate: 2,
		evalEvery: 3,
		trainable: 'heads',
		// Small: the cpu backend runs the uncached backbone at seconds per step on a busy machine.
		data: { trainPairs: 12, validationPairs: 4 },
		objective: { dpoWeight: 0 },
		optim: { lr: 2e-2, warmupSteps: 1 },
		...extra,
	});

async function run(cfg: ReturnType<typeof resolveTrainConfig>) {
	const before = tf.memory().numTensors;
	const t = new DPHTrainer(tf, cfg);
	const steps = [];
	for (let i = 0; i < cfg.steps; i++) steps.push(await t.step());
	const ev = await t.evaluate();
	const tensors = readSafetensors((await t.export())['model.safetensors']).tensors;
	const cached = t.cache !== null;
	t.dispose();
	return { steps, ev, tensors, cached, leaked: tf.memory().numTensors - before };
}

function expectClose(a: number, b: number, what: string) {
	expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(b)));
}

describe('cached frozen-backbone training', () => {
	for (const dropout of [0, 0.1]) {
		it(`equals training that runs the backbone every step (pooler dropout ${dropout})`, async () => {
			const model = { preset: 'nano', pooler: 'swiglu_bert', dropout, initStd: 0.1 };
			const cached = await run(frozenHeads({ model }));
			const full = await run(frozenHeads({ model, heads: { reinit: 'none', cache: false } }));
			expect(cached.cached).toBe(true);
			expect(full.cached).toBe(false);
			expect(cached.leaked).toBe(0);
			cached.steps.forEach((s, i) => {
				const f = full.steps[i];
				for (const k of ['loss', 'dphLoss', 'gradNorm', 'rewardChosen', 'rewardRejected', 'dphAccuracy'] as const) {
					expectClose(s[k], f[k], `step ${i + 1} ${k}`);
				}
			});
			// The loss moved, so the comparison is of training, not of two untouched models.
			expect(cached.steps[0].loss).not.toBe(cached.steps[2].loss);
			for (const k of ['dphLoss', 'dphAccuracy', 'logprobAccuracy', 'rewardChosen', 'rewardRejected'] as const) {
				expectClose(cached.ev[k], full.ev[k], `evaluation ${k}`);
			}
			expect(cached.tensors.map((t) => t.name)).toEqual(full.tensors.map((t) => t.name));
			cached.tensors.forEach((t, i) => {
				const a = t.data as Float32Array;
				const b = full.tensors[i].data as Float32Array;
				let worst = 0;
				for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
				expect(worst, t.name).toBeLessThanOrEqual(1e-5);
			});
		}, 120_000);
	}

	it('does not run the backbone after the cache is filled', async () => {
		const t = new DPHTrainer(tf, frozenHeads());
		try {
			await t.step();
			// A backbone weight of NaN would make every loss NaN if the backbone still ran.
			const w = t.params['model.blocks.0.ffn.fc1.weight'];
			const nan = tf.fill(w.shape, Number.NaN);
			w.assign(nan);
			nan.dispose();
			const m = await t.step();
			expect(Number.isFinite(m.loss)).toBe(true);
			expect(t.cache?.seconds).toBeGreaterThan(0);
		} finally {
			t.dispose();
		}
	}, 60_000);

	it('is used only with heads-only training and no cDPO term', () => {
		const heads = ['pooler_pipeline.0.weight', 'reward_heads.reward.weight'];
		expect(canCacheBackbone(frozenHeads(), heads)).toBe(true);
		expect(canCacheBackbone(frozenHeads({ objective: { dpoWeight: 0.5 } }), heads)).toBe(false);
		expect(canCacheBackbone(frozenHeads(), [...heads, 'model.output_norm.weight'])).toBe(false);
		expect(canCacheBackbone(frozenHeads({ heads: { reinit: 'none', cache: false } }), heads)).toBe(false);
		expect(canCacheBackbone(frozenHeads(), [])).toBe(false);
	});
});
