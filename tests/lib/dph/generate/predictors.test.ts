import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from '../../../../src/lib/dph/data/char-tokenizer';
import {
	bestPicks,
	checkReference,
	GenerateError,
	generateCandidates,
	MAX_SAMPLES,
	scoreCandidates,
} from '../../../../src/lib/dph/generate/candidates';
import { candidateSequence, sampleSequence } from '../../../../src/lib/dph/generate/predictors';
import { type LSWTConfig, preset } from '../../../../src/lib/dph/model/config';
import {
	disposeParams,
	hiddenStates,
	initParams,
	logits,
	type Params,
	rewards,
} from '../../../../src/lib/dph/model/lswt';
import { type ScoringModel, scoreItems } from '../../../../src/lib/dph/score';

beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
});

const tok = new CharTokenizer();
const config: LSWTConfig = { ...preset('nano', tok.vocabSize), reward_dropout: 0, reward_heads: ['a', 'b'] };
/** A model whose variables carry a prefix, so policy and reference can both be registered. */
function model(seed: number, prefix: string, c = config): ScoringModel {
	const p = initParams(tf, c, seed, 0.2);
	const q: Params = {};
	for (const [k, v] of Object.entries(p)) {
		q[k] = tf.variable(v, false, `${prefix}/${k}`);
		v.dispose();
	}
	return { config: c, params: q, tokenizer: tok };
}
let policy: ScoringModel;
let ref: ScoringModel;
beforeAll(() => {
	policy = model(1, 'policy');
	ref = model(2, 'ref');
});
afterAll(() => {
	disposeParams(policy.params);
	disposeParams(ref.params);
});

const context = [{ role: 'user' as const, content: 'Say ab' }];

/** log-softmax in float64 from the full forward's logits: log p(ids[i] | ids[<i]) for i in [from, to]. */
function logprobs64(m: ScoringModel, ids: number[], from: number, to: number): number[] {
	const lg = tf.tidy(() =>
		logits(tf, m.params, hiddenStates(tf, m.config as LSWTConfig, m.params, tf.tensor2d([ids], undefined, 'int32'))),
	);
	const d = Array.from(lg.dataSync());
	lg.dispose();
	const V = m.config.vocab_size;
	const out: number[] = [];
	for (let i = from; i <= to; i++) {
		const row = d.slice((i - 1) * V, i * V);
		const max = Math.max(...row);
		const lse = max + Math.log(row.reduce((a, x) => a + Math.exp(x - max), 0));
		out.push(row[ids[i]] - lse);
	}
	return out;
}

describe('predictors', () => {
	it('implicit reward = β Σ (log π − log π_ref) over the answer and its <|im_end|>, against a float64 computation', async () => {
		const before = tf.memory().numTensors;
		const texts = ['ab', 'b', 'abba!'];
		const cands = await scoreCandidates(tf, { policy, ref, beta: 0.25 }, context, texts);
		expect(tf.memory().numTensors).toBe(before);
		texts.forEach((t, j) => {
			const s = candidateSequence(tok, context, t);
			expect(s.ids[s.end]).toBe(tok.special.imEnd);
			const pol = logprobs64(policy, s.ids, s.answerStart, s.end);
			const rf = logprobs64(ref, s.ids, s.answerStart, s.end);
			const implicit = 0.25 * pol.reduce((a, x, i) => a + x - rf[i], 0);
			expect(cands[j].implicit_reward).toBeCloseTo(implicit, 4);
			// Summed and mean log-prob: content tokens only, the <|im_end|> left out.
			const content = pol.slice(0, -1);
			expect(cands[j].logprob_sum).toBeCloseTo(
				content.reduce((a, x) => a + x, 0),
				4,
			);
			expect(cands[j].logprob).toBeCloseTo(content.reduce((a, x) => a + x, 0) / content.length, 4);
			expect(cands[j].ids).toEqual(tok.encode(t));
			expect(cands[j].text).toBe(t);
		});
		// Without a reference there is no implicit reward; the rest is unchanged.
		const alone = await scoreCandidates(tf, { policy }, context, texts);
		expect(alone.map((c) => c.implicit_reward)).toEqual([null, null, null]);
		expect(alone.map((c) => c.logprob)).toEqual(cands.map((c) => c.logprob));
	});

	it('agrees with dph score (reward of the first head, average log-prob) and reads every head', async () => {
		const texts = ['ab', 'ba', 'a'];
		const cands = await scoreCandidates(tf, { policy }, context, texts);
		const [s] = await scoreItems(tf, policy, [{ messages: context, candidates: texts }]);
		texts.forEach((_, j) => {
			expect(cands[j].reward).toBeCloseTo(s.rewards?.[j] ?? Number.NaN, 5);
			expect(cands[j].logprob).toBeCloseTo(s.logprobs[j], 5);
		});
		const byB = await scoreCandidates(tf, { policy, head: 'b' }, context, texts);
		const seqs = texts.map((t) => candidateSequence(tok, context, t));
		for (const [j, q] of seqs.entries()) {
			const r = tf.tidy(() =>
				rewards(
					tf,
					config,
					policy.params,
					hiddenStates(tf, config, policy.params, tf.tensor2d([q.ids], undefined, 'int32')),
					tf.tensor1d([q.end], 'int32'),
					{ head: 'b' },
				),
			);
			expect(byB[j].reward).toBeCloseTo(r.dataSync()[0], 5);
			expect(byB[j].rewards?.b).toBe(byB[j].reward);
			expect(byB[j].rewards?.a).toBe(cands[j].reward);
			r.dispose();
		}
		expect(byB[0].rewards?.a).not.toBeCloseTo(byB[0].rewards?.b ?? 0, 3);
	});

	it('best-of-N picks the highest score of each predictor, passing over what it cannot score', () => {
		const c = (reward: number, logprob: number, implicit: number | null) => ({
			text: '',
			ids: [],
			reward,
			rewards: null,
			logprob,
			logprob_sum: -logprob,
			implicit_reward: implicit,
		});
		expect(bestPicks([c(1, Number.NaN, null), c(3, -2, null), c(2, -1, null)])).toEqual({
			reward: 1,
			logprob: 2,
			logprob_sum: 1,
			implicit_reward: null,
		});
	});

	it('generated samples are scored on their decoded ids, closed with <|im_end|> when cut at the length', async () => {
		const before = tf.memory().numTensors;
		const out = await generateCandidates(tf, { policy, ref }, context, {
			n: 3,
			maxNewTokens: 4,
			temperature: 1,
			seed: 3,
		});
		expect(tf.memory().numTensors).toBe(before);
		expect(out.samples).toHaveLength(3);
		const prompt = candidateSequence(tok, context, '').ids.slice(0, -1);
		for (const s of out.samples) {
			expect(s.finish === 'im_end').toBe(s.ids.at(-1) === tok.special.imEnd);
			if (s.finish === 'length') expect(s.ids).toHaveLength(4);
			const q = sampleSequence(prompt, s.ids, tok.special.imEnd);
			const pol = logprobs64(policy, q.ids, q.answerStart, q.end);
			const rf = logprobs64(ref, q.ids, q.answerStart, q.end);
			expect(s.implicit_reward).toBeCloseTo(0.1 * pol.reduce((a, x, i) => a + x - rf[i], 0), 4);
		}
		expect(out.best.reward).toBe(bestPicks(out.samples).reward);
	});
});

describe('bad input', () => {
	const gen = (m: Parameters<typeof generateCandidates>[1], messages = context, n = 2) =>
		generateCandidates(tf, m, messages, { n, maxNewTokens: 2, temperature: 0 });
	it('names the problem', async () => {
		await expect(gen({ policy }, [])).rejects.toThrow(/the prompt is empty: "messages" has no messages/);
		await expect(gen({ policy }, [{ role: 'user', content: '  ' }])).rejects.toThrow(/the prompt is empty/);
		const long = [{ role: 'user' as const, content: 'x'.repeat(1100) }];
		await expect(gen({ policy }, long)).rejects.toThrow(
			/the prompt is 11\d\d tokens with its ChatML markup; the context is 1024 tokens \(the default\)/,
		);
		await expect(gen({ policy }, context, MAX_SAMPLES + 1)).rejects.toThrow(
			new RegExp(`n \\(samples per prompt\\) must be a whole number in 1\\.\\.${MAX_SAMPLES}, got ${MAX_SAMPLES + 1}`),
		);
		await expect(gen({ policy, head: 'c' })).rejects.toThrow(
			/--head: reward head "c" does not exist; the checkpoint has 2 heads: "a", "b"/,
		);
		await expect(gen({ policy }, context)).resolves.toBeDefined();
		expect(GenerateError).toBeDefined();
	});

	it('refuses a reference model with another vocabulary or tokenizer', () => {
		const other: ScoringModel = { ...ref, config: { ...config, vocab_size: config.vocab_size + 1 } };
		expect(() => checkReference(policy, other)).toThrow(
			/--ref: the reference model's vocab_size is 10\d, the model's 10\d/,
		);
		const shuffled = new CharTokenizer({ alphabet: [...'zyxwvutsrqponmlkjihgfedcba'] });
		const small: ScoringModel = { ...ref, tokenizer: shuffled };
		expect(() => checkReference(policy, small)).toThrow(/--ref: the reference tokenizer has \d+ tokens/);
		expect(() => checkReference(policy, ref)).not.toThrow();
	});
});
