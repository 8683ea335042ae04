import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../../../src/lib/dph/checkpoint/safetensors';
import { CharTokenizer } from '../../../../src/lib/dph/data';
import { resolveTrainConfig, TrainConfigError } from '../../../../src/lib/dph/train/config';
import { DPHTrainer, TrainingDivergedError } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const target = Math.log(0.9 / 0.1); // log((1−ε)/ε) at ε = 0.1

/** A preference a tiny model can learn in seconds: "yes" is always preferred to "no". */
function yesNo(n = 200) {
	return Array.from({ length: n }, (_, i) =>
		JSON.stringify({ prompt: `q${i % 23}`, chosen: 'yes', rejected: 'no' }),
	).join('\n');
}

const small = (extra: Record<string, unknown> = {}) =>
	resolveTrainConfig({
		steps: 60,
		batchSize: 8,
		evalEvery: 20,
		data: { task: 'jsonl', jsonl: yesNo() },
		optim: { lr: 3e-3, warmupSteps: 1 },
		...extra,
	});

describe('DPHTrainer', () => {
	it('SepDPH drives validation rewards to ±log((1−ε)/ε) (Theorem 1, on a real transformer)', async () => {
		await tf.setBackend('wasm');
		const t = new DPHTrainer(tf, small({ objective: { dph: 'sepdph', dpoWeight: 0 } }));
		for (let i = 0; i < 60; i++) await t.step();
		const e = await t.evaluate();
		expect(e.dphAccuracy).toBe(1);
		expect(Math.abs(e.rewardChosen - target) / target).toBeLessThan(0.1);
		expect(Math.abs(e.rewardRejected + target) / target).toBeLessThan(0.1);
		t.dispose();
	}, 240_000);

	it('ConDPH drives the validation margin to log((1−ε)/ε) (Theorem 2), jointly with cDPO', async () => {
		await tf.setBackend('wasm');
		const t = new DPHTrainer(tf, small({ objective: { dph: 'condph', dpoWeight: 1 } }));
		for (let i = 0; i < 60; i++) await t.step();
		const e = await t.evaluate();
		expect(e.dphAccuracy).toBe(1);
		expect(Math.abs(e.margin - target) / target).toBeLessThan(0.1);
		t.dispose();
	}, 240_000);

	it('does not leak tensors per step and is reproducible from its seed', async () => {
		await tf.setBackend('cpu');
		const run = async () => {
			const start = tf.memory().numTensors;
			const t = new DPHTrainer(tf, small({ steps: 8, evalEvery: 4, batchSize: 4 }));
			const losses: number[] = [];
			await t.step();
			const before = tf.memory().numTensors;
			for (let i = 0; i < 5; i++) losses.push((await t.step()).loss);
			expect(tf.memory().numTensors).toBe(before);
			t.dispose();
			// Construction + training + dispose leaves nothing behind (the policy, its reference copy, optimizer state).
			expect(tf.memory().numTensors).toBe(start);
			return losses;
		};
		const a = await run();
		const b = await run();
		expect(b).toEqual(a);
	}, 240_000);

	it('stops on a non-finite loss with the step and quantity named, rolling back to the last good weights', async () => {
		const t = new DPHTrainer(tf, small({ steps: 10 }));
		// Step 1's weights are never proven by a forward pass before they go bad, so the last good ones are step 0's.
		const good = Array.from(t.params['reward_heads.reward.weight'].dataSync());
		await t.step();
		const nan = tf.fill([64], Number.NaN);
		t.params['model.output_norm.weight'].assign(nan);
		nan.dispose();
		const err = await t.step().catch((e: unknown) => e);
		expect(err).toBeInstanceOf(TrainingDivergedError);
		expect((err as Error).message).toMatch(/Training stopped at step 2: the loss is not finite/);
		expect((err as TrainingDivergedError).rolledBackTo).toBe(0);
		expect(Array.from(t.params['reward_heads.reward.weight'].dataSync())).toEqual(good);
		expect(Number.isFinite(t.params['model.output_norm.weight'].dataSync()[0])).toBe(true);
		// The rolled-back model trains on.
		expect(Number.isFinite((await t.step()).loss)).toBe(true);
		t.dispose();
	}, 120_000);

	it('exports a Hugging Face folder: config.json with reference fields, safetensors with reference keys, tokenizer.json', async () => {
		const t = new DPHTrainer(tf, small({ steps: 3 }));
		await t.step();
		const files = await t.export();
		const config = JSON.parse(files['config.json']);
		expect(config).toMatchObject({
			architectures: ['LSWTForDPH'],
			model_type: 'lsw_transformer',
			reward_heads: ['reward'],
			reward_pooler: 'swiglu_bert',
			rope_reversed: true,
			pad_token_id: 1,
		});
		const st = readSafetensors(files['model.safetensors']);
		const names = st.tensors.map((x) => x.name);
		expect(names).toContain('model.blocks.0.att.proj_q.weight');
		expect(names).toContain('reward_heads.reward.weight');
		const emb = st.tensors.find((x) => x.name === 'model.input_embedding.embedding.weight');
		expect(emb?.data).toEqual(t.params['model.input_embedding.embedding.weight'].dataSync());
		const tok = CharTokenizer.fromJSON(JSON.parse(files['tokenizer.json']));
		expect(tok.encode('yes<|im_end|>')).toEqual(t.tokenizer.encode('yes<|im_end|>'));
		t.dispose();
	}, 120_000);

	it('rejects bad configs naming the field', () => {
		expect(() => resolveTrainConfig({ objective: { dphEps: 0.7 } })).toThrow(
			/objective.dphEps = 0.7 is invalid: valid 0 ≤ dphEps ≤ 0.5/,
		);
		expect(() => resolveTrainConfig({ optim: { lr: -1 } })).toThrow(TrainConfigError);
		expect(() => resolveTrainConfig({ model: { pooler: 'mean' } })).toThrow(/model.pooler = "mean" is invalid/);
		expect(() => resolveTrainConfig({ stepz: 3 })).toThrow(/stepz is not a training option/);
		expect(() => resolveTrainConfig({ data: { task: 'jsonl' } })).toThrow(/data.jsonl must hold the JSONL text/);
	});
});
