/**
 * Issue 15.5: the SFT term. The masked cross-entropy against a float64 softmax written out by hand, the mask
 * against the ChatML spans (exactly the assistant tokens and their <|im_end|>), the objective's SFT term on the
 * chosen rows only, and a few SFT-only steps on chat JSONL lowering the held-out next-token loss.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer, encodeChat, makeChatBatch, makePairBatch } from '../../../../src/lib/dph/data';
import type { ChatMessage } from '../../../../src/lib/dph/data/types';
import type { LSWTConfig } from '../../../../src/lib/dph/model/config';
import { hiddenStates, logits } from '../../../../src/lib/dph/model/lswt';
import { resolveTrainConfig } from '../../../../src/lib/dph/train/config';
import { objective } from '../../../../src/lib/dph/train/objective';
import { maskedNextTokenCE } from '../../../../src/lib/dph/train/sft';
import { DPHTrainer } from '../../../../src/lib/dph/train/trainer';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

/** Σ over mask of −log softmax(logits)[target], in float64 with the max subtracted, from plain arrays. */
function ce64(lg: Float32Array, targets: ArrayLike<number>, mask: ArrayLike<number>, V: number) {
	let sum = 0;
	let count = 0;
	for (let i = 0; i < mask.length; i++) {
		if (!mask[i]) continue;
		const row = Array.from(lg.subarray(i * V, (i + 1) * V));
		const max = Math.max(...row);
		const z = row.reduce((s, x) => s + Math.exp(x - max), 0);
		sum += -(row[targets[i]] - max - Math.log(z));
		count++;
	}
	return { sum, count };
}

let seed = 7;
const rand = () => {
	seed = (seed * 16807) % 2147483647;
	return seed / 2147483647;
};

describe('masked next-token cross-entropy', () => {
	it('equals a float64 softmax written out by hand, and ignores every unmasked position', () => {
		const [R, L, V] = [3, 5, 11];
		const lgData = Float32Array.from({ length: R * L * V }, () => (rand() - 0.5) * 8);
		const targets = Int32Array.from({ length: R * L }, () => Math.floor(rand() * V));
		const mask = Float32Array.from({ length: R * L }, (_, i) => (i % 3 === 1 || i === 7 ? 1 : 0));
		const n0 = tf.memory().numTensors;
		const lg = tf.tensor3d(lgData, [R, L, V]);
		const tt = tf.tensor2d(targets, [R, L], 'int32');
		const mt = tf.tensor2d(mask, [R, L]);
		const ce = maskedNextTokenCE(tf, lg, tt, mt);
		const want = ce64(lgData, targets, mask, V);
		expect(ce.count.dataSync()[0]).toBe(want.count);
		expect(Math.abs(ce.sum.dataSync()[0] - want.sum)).toBeLessThan(1e-5 * want.sum);
		// Changing logits where the mask is 0 changes nothing; changing a masked one does.
		const poked = lgData.slice();
		for (let i = 0; i < R * L; i++) if (!mask[i]) for (let v = 0; v < V; v++) poked[i * V + v] += 100 * rand();
		const lg2 = tf.tensor3d(poked, [R, L, V]);
		const ce2 = maskedNextTokenCE(tf, lg2, tt, mt);
		expect(ce2.sum.dataSync()[0]).toBe(ce.sum.dataSync()[0]);
		tf.dispose([lg, tt, mt, lg2, ce.sum, ce.count, ce2.sum, ce2.count]);
		expect(tf.memory().numTensors).toBe(n0);
	});

	it('masks exactly the assistant tokens (content and their <|im_end|>) of a multi-turn chat', () => {
		const tok = new CharTokenizer();
		const chat: ChatMessage[] = [
			{ role: 'system', content: 'be brief' },
			{ role: 'user', content: 'say ab' },
			{ role: 'assistant', content: 'ab' },
			{ role: 'user', content: 'again' },
			{ role: 'assistant', content: 'abc' },
		];
		const b = makeChatBatch(tok, [chat]);
		const seq = encodeChat(tok, chat);
		// Independently: the token positions each assistant message owns, from its span; the mask is on the position
		// before each (position i predicts token i + 1).
		const owned = new Set<number>();
		for (const s of seq.spans)
			if (s.role === 'assistant') for (let p = s.contentStart; p <= s.contentEnd; p++) owned.add(p);
		const masked = [...b.trainMask].flatMap((m, i) => (m ? [i + 1] : []));
		expect(masked).toEqual([...owned].sort((x, y) => x - y));
		expect(masked.length).toBe('ab'.length + 1 + 'abc'.length + 1);
		for (const p of masked) expect([...'abc', '<|im_end|>'].map((c) => tok.encode(c)[0])).toContain(seq.ids[p]);
		// Nothing from the system or user turns, the headers or BOS.
		for (const s of seq.spans) {
			if (s.role === 'assistant') continue;
			for (let p = s.start; p < s.end; p++) expect(owned.has(p)).toBe(false);
		}
	});
});

const sayBack = (n: number, offset = 0) =>
	Array.from({ length: n }, (_, i) => {
		const w = 'abcd'[(i + offset) % 4].repeat(1 + ((i + offset) % 3));
		return JSON.stringify({
			messages: [
				{ role: 'user', content: `say ${w}` },
				{ role: 'assistant', content: `${w}!` },
			],
		});
	}).join('\n');

describe('the SFT term in the objective', () => {
	it('is α_sft · the mean masked CE of the chosen rows only (rejected rows do not count)', async () => {
		const cfg = resolveTrainConfig({
			data: { task: 'jsonl', jsonl: JSON.stringify({ prompt: 'say a', chosen: 'a', rejected: 'bb' }) },
			objective: { dpoWeight: 0, dphWeight: 0, sftWeight: 2.5 },
			steps: 2,
			optim: { warmupSteps: 0 },
			batchSize: 2,
		});
		const t = new DPHTrainer(tf, cfg);
		try {
			const pairs = [
				{ messages: [{ role: 'user' as const, content: 'say a' }], chosen: 'a', rejected: 'bb' },
				{ messages: [{ role: 'user' as const, content: 'twice' }], chosen: 'cc', rejected: 'd' },
			];
			const b = makePairBatch(t.tokenizer, pairs);
			const shape: [number, number] = [b.rows, b.length];
			const batch = {
				ids: tf.tensor2d(b.ids, shape, 'int32'),
				targets: tf.tensor2d(b.targets, shape, 'int32'),
				trainMask: tf.tensor2d(b.trainMask, shape),
				evalMask: tf.tensor2d(b.evalMask, shape),
				rewardIndex: tf.tensor1d(b.rewardIndex, 'int32'),
			};
			const lg = tf.tidy(() =>
				logits(tf, t.params, hiddenStates(tf, t.modelConfig as LSWTConfig, t.params, batch.ids)),
			);
			const V = lg.shape[2] as number;
			const lgData = (await lg.data()) as Float32Array;
			const half = b.length * 2;
			const want = ce64(lgData.subarray(0, half * V), b.targets.subarray(0, half), b.trainMask.subarray(0, half), V);
			const o = objective(tf, t.modelConfig, t.params, batch, null, cfg.objective, { training: true });
			expect(o.sftTokens.dataSync()[0]).toBe(want.count);
			expect(Math.abs(o.loss.dataSync()[0] - (2.5 * want.sum) / want.count)).toBeLessThan(1e-5);
			tf.dispose([
				lg,
				...Object.values(batch),
				o.loss,
				o.dphLoss,
				o.dpoLoss,
				o.rw,
				o.rl,
				o.avgLogProb,
				o.sftSum,
				o.sftTokens,
			]);
		} finally {
			t.dispose();
		}
	});

	it('SFT alone on chat JSONL lowers the held-out next-token loss in a few steps, without leaking tensors', async () => {
		const cfg = resolveTrainConfig({
			data: { task: 'jsonl', jsonl: sayBack(80), maxLen: 32 },
			objective: { dpoWeight: 0, dphWeight: 0, sftWeight: 1 },
			optim: { lr: 1e-2, warmupSteps: 0 },
			steps: 8,
			batchSize: 8,
			evalEvery: 100,
		});
		const t = new DPHTrainer(tf, cfg);
		try {
			const before = await t.evaluate();
			expect(before.pairs).toBe(0);
			expect(before.nextTokenLoss).toBeGreaterThan(1);
			expect(before.perplexity).toBeCloseTo(Math.exp(before.nextTokenLoss), 6);
			await t.step();
			// After the first step: LaProp creates its state then.
			const n0 = tf.memory().numTensors;
			for (let i = 1; i < cfg.steps; i++) {
				const m = await t.step();
				expect(Number.isFinite(m.nextTokenLoss)).toBe(true);
			}
			expect(tf.memory().numTensors).toBe(n0);
			const after = await t.evaluate();
			expect(after.sftTokens).toBe(before.sftTokens);
			expect(after.nextTokenLoss).toBeLessThan(0.6 * before.nextTokenLoss);
		} finally {
			t.dispose();
		}
	}, 60_000);

	it('embeddings-only (the vocab-extension stage, by freezing) trains the embedding and nothing else', async () => {
		const cfg = resolveTrainConfig({
			data: { task: 'jsonl', jsonl: sayBack(24) },
			objective: { dpoWeight: 0, dphWeight: 0, sftWeight: 1 },
			optim: { lr: 1e-2, warmupSteps: 0 },
			trainable: 'no-backbone',
			frozen: ['input_proj', 'input_norm', 'output_norm', 'head_proj', 'pooler_pipeline', 'reward_heads'],
			steps: 3,
			batchSize: 8,
		});
		const t = new DPHTrainer(tf, cfg);
		try {
			const snap = () => new Map(Object.entries(t.params).map(([k, v]) => [k, Array.from(v.dataSync())]));
			const before = snap();
			const l0 = (await t.evaluate()).nextTokenLoss;
			for (let i = 0; i < cfg.steps; i++) await t.step();
			const after = snap();
			const changed = [...before.keys()].filter((k) => before.get(k)?.some((x, i) => x !== after.get(k)?.[i]));
			expect(changed).toEqual(['model.input_embedding.embedding.weight']);
			expect((await t.evaluate()).nextTokenLoss).toBeLessThan(l0);
		} finally {
			t.dispose();
		}
	}, 60_000);
});
