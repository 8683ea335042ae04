import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../../src/lib/dph/checkpoint/load';
import { encodeCandidate } from '../../../src/lib/dph/data/chatml';
import { unknownMessage } from '../../../src/lib/dph/data/tokenizer';
import type { MultipleChoiceItem } from '../../../src/lib/dph/data/types';
import type { LSWTConfig } from '../../../src/lib/dph/model/config';
import { hiddenStates, logits, rewards } from '../../../src/lib/dph/model/lswt';
import { accuracy, argmax, estimatePassBytes, planPasses, scoreItems } from '../../../src/lib/dph/score';
import { dirFolder } from '../../../src/node/checkpoint-folder';
import { writeFixture } from './checkpoint/fixtures';

let ck: LoadedCheckpoint;
let dir: string;

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	const f = await writeFixture({ seed: 11 });
	dir = f.dir;
	ck = await loadCheckpointTensors(tf, await dirFolder(dir));
});
afterAll(() => {
	ck?.dispose();
	rmSync(dir, { recursive: true, force: true });
});

const items: MultipleChoiceItem[] = [
	{ messages: [{ role: 'user', content: 'Say b' }], candidates: ['b', 'c', 'a'], label: 0 },
	{
		messages: [
			{ role: 'system', content: 'Be brief.' },
			{ role: 'user', content: 'What is 12 + 30? Answer with the number only, please.' },
		],
		candidates: ['42', 'forty-two, which is the sum of twelve and thirty', '41'],
		label: 0,
	},
	{ messages: [{ role: 'user', content: 'x' }], candidates: ['yes', 'no'], label: 1 },
];

/** The reward and average log-prob of one candidate, from the unpadded sequence alone, in float64 from the logits. */
async function direct(item: MultipleChoiceItem, cand: string) {
	const seq = encodeCandidate(ck.tokenizer, item.messages, cand);
	const ids = tf.tensor2d([seq.ids], [1, seq.ids.length], 'int32');
	const h = hiddenStates(tf, ck.config as LSWTConfig, ck.params, ids);
	const r = rewards(tf, ck.config, ck.params, h, tf.tensor1d([seq.rewardIndex], 'int32'));
	const lg = logits(tf, ck.params, h);
	const L = (await lg.array()) as number[][][];
	const reward = (await r.data())[0];
	tf.dispose([ids, h, r, lg]);
	let sum = 0;
	for (let p = seq.answerStart; p < seq.answerEnd; p++) {
		const row = L[0][p - 1];
		const m = Math.max(...row);
		const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
		sum += row[seq.ids[p]] - lse;
	}
	return { reward, logprob: sum / (seq.answerEnd - seq.answerStart), tokens: seq.answerEnd - seq.answerStart };
}

describe('scoreItems', () => {
	it('gives the reward at the last <|im_end|> and the average log-prob of the candidate tokens only', async () => {
		const scores = await scoreItems(tf, ck, items, { tokens: true });
		for (let i = 0; i < items.length; i++) {
			for (let c = 0; c < items[i].candidates.length; c++) {
				const want = await direct(items[i], items[i].candidates[c]);
				expect(scores[i].rewards?.[c]).toBeCloseTo(want.reward, 4);
				expect(scores[i].logprobs[c]).toBeCloseTo(want.logprob, 4);
				const toks = scores[i].tokens?.[c] ?? [];
				expect(toks.length).toBe(want.tokens);
				expect(toks.map((t) => t.text).join('')).toBe(items[i].candidates[c]);
			}
		}
	});

	it('batched scores equal one-at-a-time scores, whatever the padding', async () => {
		const together = await scoreItems(tf, ck, items, { batchRows: 64 });
		const alone = await scoreItems(tf, ck, items, { batchRows: 1 });
		// Padding invariance: item 0 padded to the long item's length vs alone (shortest padding).
		for (let i = 0; i < items.length; i++) {
			for (let c = 0; c < items[i].candidates.length; c++) {
				expect(together[i].rewards?.[c]).toBeCloseTo(alone[i].rewards?.[c] ?? Number.NaN, 4);
				expect(together[i].logprobs[c]).toBeCloseTo(alone[i].logprobs[c], 4);
			}
		}
		// Rows, not items, are grouped: an item's candidates may straddle two passes.
		const lens = [10, 10, 10, 60, 60, 60, 9, 9];
		expect(planPasses(ck.config, lens, 64)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
		expect(planPasses(ck.config, lens, 4)).toEqual([
			[0, 1, 2, 3],
			[4, 5, 6, 7],
		]);
		// A byte budget for two 64-token rows: short rows pack, long ones pair up, a row over it runs alone.
		const two = estimatePassBytes(ck.config, 2, 64);
		expect(planPasses(ck.config, lens, 64, two)).toEqual([[0, 1, 2], [3, 4], [5, 6], [7]].slice(0, 4));
		expect(planPasses(ck.config, [500, 8], 64, two)).toEqual([[0], [1]]);
	});

	it('a candidate over maxLen is refused before any forward pass; its siblings and the other items still score', async () => {
		const long = 'x'.repeat(30_000);
		const its: MultipleChoiceItem[] = [
			items[0],
			{ messages: [{ role: 'user', content: 'Say b' }], candidates: ['b', long, 'a'], label: 0 },
			items[2],
		];
		const t0 = performance.now();
		const before = tf.memory().numTensors;
		const got = await scoreItems(tf, ck, its, { tokens: true });
		expect(performance.now() - t0).toBeLessThan(10_000);
		expect(tf.memory().numTensors).toBe(before);
		const alone = await scoreItems(tf, ck, [items[0], { ...its[1], candidates: ['b', 'a'] }, items[2]]);
		expect(got[1].errors).toEqual([
			{
				candidate: 1,
				tokens: expect.any(Number),
				limit: 1024,
				message: expect.stringMatching(/^candidate 2 is 300\d\d tokens with its prompt; the limit is 1024$/),
			},
		]);
		expect(got[1].errors?.[0].tokens).toBeGreaterThan(30_000);
		expect(Number.isNaN(got[1].logprobs[1])).toBe(true);
		expect(got[1].tokens?.[1]).toEqual([]);
		expect(got[1].logprobs[0]).toBeCloseTo(alone[1].logprobs[0], 4);
		expect(got[1].rewards?.[2]).toBeCloseTo(alone[1].rewards?.[1] ?? Number.NaN, 4);
		for (const i of [0, 2]) {
			expect(got[i].errors).toBeUndefined();
			expect(got[i].logprobs).toEqual(alone[i].logprobs);
		}
		// An item with a refused candidate is not counted in accuracy; maxLen overrides the default.
		expect(accuracy(got, its)?.n).toBe(2);
		const [short] = await scoreItems(tf, ck, [items[1]], { maxLen: 20 });
		expect(short.errors?.map((e) => e.candidate)).toEqual([0, 1, 2]);
	});

	it('a long item that is allowed scores in passes that stay under the memory budget, with the same numbers', async () => {
		const cands = ['a', 'b', 'c', 'd'].map((ch) => `${ch} `.repeat(100));
		const item: MultipleChoiceItem = { messages: [{ role: 'user', content: 'Repeat.' }], candidates: cands };
		const L = Math.ceil(encodeCandidate(ck.tokenizer, item.messages, cands[0]).ids.length / 8) * 8;
		const budget = estimatePassBytes(ck.config, 1, L);
		const base = tf.memory().numBytes;
		let bounded: Awaited<ReturnType<typeof scoreItems>> = [];
		const prof = await tf.profile(async () => {
			bounded = await scoreItems(tf, ck, [item], { passBytes: budget });
		});
		// One row at a time: the peak is one row's pass, not four rows' (the old single batch, ~4× the budget).
		expect(prof.peakBytes - base).toBeLessThan(budget);
		const together = await scoreItems(tf, ck, [item], { passBytes: 4 * estimatePassBytes(ck.config, 4, L) });
		for (let c = 0; c < 4; c++) {
			expect(bounded[0].logprobs[c]).toBeCloseTo(together[0].logprobs[c], 4);
			expect(bounded[0].rewards?.[c]).toBeCloseTo(together[0].rewards?.[c] ?? Number.NaN, 4);
		}
	});

	it('reports the characters that became <unk>, in the prompt and per candidate', async () => {
		const [s] = await scoreItems(tf, ck, [
			{ messages: [{ role: 'user', content: 'Café?' }], candidates: ['a', 'é€ and é', 'b'] },
		]);
		expect(s.unknown).toEqual({
			prompt: { count: 1, chars: ['é'] },
			candidates: [null, { count: 3, chars: ['é', '€'] }, null],
		});
		expect(unknownMessage({ count: 3, chars: ['é', '€'] })).toBe(
			"3 characters are not in the tokenizer's vocabulary and became <unk>: 'é', '€'",
		);
		const [clean] = await scoreItems(tf, ck, [items[0]]);
		expect(clean.unknown).toBeUndefined();
	});

	it('does not leak tensors and reports progress', async () => {
		await scoreItems(tf, ck, items);
		const before = tf.memory().numTensors;
		const seen: number[] = [];
		await scoreItems(tf, ck, items, { batchRows: 3, onProgress: (d) => seen.push(d) });
		expect(tf.memory().numTensors).toBe(before);
		expect(seen).toEqual([1, 2, 3]);
	});

	it('an empty candidate has no tokens: NaN log-prob, still a reward', async () => {
		const [s] = await scoreItems(tf, ck, [{ messages: [{ role: 'user', content: 'hi' }], candidates: ['', 'a'] }]);
		expect(Number.isNaN(s.logprobs[0])).toBe(true);
		expect(Number.isFinite(s.rewards?.[0] ?? Number.NaN)).toBe(true);
		expect(argmax(s.logprobs)).toBe(1);
	});
});

describe('accuracy', () => {
	it('counts labelled items: highest reward for DPH, highest average log-prob for the LM', () => {
		const scores = [
			{ rewards: [2, 1], logprobs: [-3, -1] },
			{ rewards: [0, 1], logprobs: [-1, -2] },
			{ rewards: [5, 1], logprobs: [-1, -2] },
		];
		const its: MultipleChoiceItem[] = [
			{ messages: [], candidates: ['a', 'b'], label: 0 },
			{ messages: [], candidates: ['a', 'b'], label: 0 },
			{ messages: [], candidates: ['a', 'b'] },
		];
		expect(accuracy(scores, its)).toEqual({ n: 2, dph: 0.5, logprob: 0.5 });
		expect(accuracy(scores, its.slice(2))).toBeNull();
		expect(
			accuracy([{ rewards: null, logprobs: [0, 1] }], [{ messages: [], candidates: ['a', 'b'], label: 1 }]),
		).toEqual({
			n: 1,
			dph: null,
			logprob: 1,
		});
	});
});
