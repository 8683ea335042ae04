import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCheckpoint, loadCheckpointTensors } from '../../../src/lib/dph/checkpoint/load';
import { generateCandidates, scoreCandidates } from '../../../src/lib/dph/generate/candidates';
import { deriveSeed } from '../../../src/lib/dph/random';
import { runGenerate } from '../../../src/lib/workers/generate-job';
import type { GenerateParams, GenerateProgress, JobContext } from '../../../src/lib/workers/job-specs';
import { jobTotal } from '../../../src/lib/workers/job-specs';
import { dirFolder } from '../../../src/node/checkpoint-folder';

let ck: LoadedCheckpoint;
beforeAll(async () => {
	tf.env().set('PROD', true);
	await tf.setBackend('cpu');
	ck = await loadCheckpointTensors(tf, await dirFolder('static/checkpoints/nano-echo-sepdph'));
});
afterAll(() => ck.dispose());

function context(abortAfter?: number) {
	const ac = new AbortController();
	const progress: GenerateProgress[] = [];
	const ctx: JobContext<'generate'> = {
		signal: ac.signal,
		progress: (p) => {
			progress.push(p);
			if (abortAfter !== undefined && p.tokens >= abortAfter) ac.abort();
		},
		paused: async () => {},
	};
	return { ctx, progress };
}

const messages = [{ role: 'user' as const, content: 'Say c' }];
const base: GenerateParams = { prompts: [{ messages, candidates: ['c', 'a'] }], n: 3, maxNewTokens: 3, temperature: 1 };

describe('the generate job: samples and typed candidates in one ranking', () => {
	it('gives the samples and predictors dph generate gives for line 1, the typed candidates scoreCandidates gives', async () => {
		const before = tf.memory().numTensors;
		const { ctx, progress } = context();
		const r = await runGenerate(tf, ck, { ...base, seed: 7, tokens: true }, ctx);
		expect(tf.memory().numTensors).toBe(before);
		const [p] = r.prompts;
		expect(p.error).toBeNull();
		expect(p.candidates.map((c) => `${c.source}${c.index}`)).toEqual([
			'typed0',
			'typed1',
			'generated0',
			'generated1',
			'generated2',
		]);
		const cli = await generateCandidates(tf, { policy: ck }, messages, { ...base, seed: deriveSeed(7, 'line', 1) });
		const gen = p.candidates.slice(2);
		expect(gen.map((c) => [c.text, c.ids, c.finish])).toEqual(cli.samples.map((c) => [c.text, c.ids, c.finish]));
		gen.forEach((c, k) => {
			expect(c.reward).toBeCloseTo(cli.samples[k].reward as number, 4);
			expect(c.logprob_sum).toBeCloseTo(cli.samples[k].logprob_sum, 4);
			expect(c.implicit_reward).toBeNull();
		});
		const typed = await scoreCandidates(tf, { policy: ck }, messages, ['c', 'a']);
		p.candidates.slice(0, 2).forEach((c, j) => {
			expect(c.reward).toBeCloseTo(typed[j].reward as number, 4);
			expect(c.logprob).toBeCloseTo(typed[j].logprob, 4);
		});
		// The heatmap's tokens are the content tokens, and their log-probs add up to logprob_sum.
		for (const c of p.candidates) {
			expect(c.tokens?.map((t) => t.text).join('')).toBe(c.text);
			expect(c.tokens?.reduce((a, t) => a + t.logprob, 0)).toBeCloseTo(c.logprob_sum, 4);
		}
		// The trained head prefers the echoed letter over another typed one and over every (near-random) sample.
		expect(p.best.reward).toBe(0);
		// Streamed texts are prefixes of the final ones; the last progress says the prompt is done.
		const streamed = progress.filter((x) => x.texts.length);
		expect(streamed.length).toBeGreaterThan(0);
		for (const s of streamed) {
			s.texts.forEach((t, k) => {
				expect(gen[k].text.startsWith(t)).toBe(true);
			});
		}
		expect(progress.at(-1)).toMatchObject({ step: 1, total: 1, texts: [] });
		expect(jobTotal('generate', base)).toBe(1);
		expect(r.stopped).toBe(false);
	});

	it('Stop keeps the tokens decoded so far, scored, and marks the cut samples', async () => {
		const { ctx } = context(1);
		const r = await runGenerate(tf, ck, { ...base, maxNewTokens: 40, temperature: 50, seed: 3 }, ctx);
		expect(r.stopped).toBe(true);
		const gen = r.prompts[0].candidates.filter((c) => c.source === 'generated');
		expect(gen).toHaveLength(3);
		const total = gen.reduce((a, c) => a + c.ids.length, 0);
		expect(total).toBeLessThan(3 * 40);
		expect(gen.some((c) => c.stopped)).toBe(true);
		for (const c of gen) expect(Number.isFinite(c.reward)).toBe(true);
	});

	it('n = 0 ranks the typed candidates only; a bad prompt is an error in its place, the next still runs', async () => {
		const { ctx } = context();
		const r = await runGenerate(
			tf,
			ck,
			{ ...base, n: 1, prompts: [{ messages: [{ role: 'user', content: '  ' }] }, { messages }] },
			ctx,
		);
		expect(r.prompts[0].error).toMatch(/the prompt is empty/);
		expect(r.prompts[1].candidates).toHaveLength(1);
		const only = await runGenerate(tf, ck, { ...base, n: 0 }, context().ctx);
		expect(only.prompts[0].candidates.map((c) => c.source)).toEqual(['typed', 'typed']);
		await expect(runGenerate(tf, ck, { ...base, n: 65 }, context().ctx)).rejects.toThrow(/1\.\.64/);
		await expect(runGenerate(tf, ck, { ...base, head: 'nope' }, context().ctx)).rejects.toThrow(/nope/);
	});
});
