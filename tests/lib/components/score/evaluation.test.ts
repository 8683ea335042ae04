import { describe, expect, it } from 'vitest';
import {
	curvesOf,
	evalItemsOf,
	parsePromptsJsonl,
	predictorList,
} from '../../../../src/lib/components/score/evaluation';
import { bestOfNCurves } from '../../../../src/lib/dph/eval/best-of-n';
import type { GeneratedPrompt, RankedSample } from '../../../../src/lib/workers/generate-job';

const cand = (source: 'typed' | 'generated', text: string, r: Record<string, number>, logprob: number): RankedSample =>
	({
		source,
		index: 0,
		text,
		ids: [],
		rewards: r,
		reward: Object.values(r)[0],
		logprob,
		logprob_sum: 2 * logprob,
		implicit_reward: null,
	}) as RankedSample;
const result = (candidates: RankedSample[], errors: string[] = []): GeneratedPrompt =>
	({ candidates, best: {} as GeneratedPrompt['best'], errors, error: null, tokens: 0 }) as GeneratedPrompt;

describe('the Score page evaluation table inputs', () => {
	it('names the predictors as dph eval does', () => {
		expect(predictorList(['reward']).map(([n]) => n)).toEqual(['reward', 'logprob', 'logprob_sum']);
		expect(predictorList(['x', 'y']).map(([n]) => n)).toEqual(['reward:x', 'reward:y', 'logprob', 'logprob_sum']);
	});

	it("picks each predictor's highest candidate (NaN never), leaves out unlabelled and partly unscored lines", () => {
		const msgs = [{ role: 'user' as const, content: 'q' }];
		const items = [
			{ messages: msgs, candidates: ['a', 'b', 'c'], label: 1 },
			{ messages: msgs, candidates: ['a', 'b'] },
			{ messages: msgs, candidates: ['a', 'b'], label: 0 },
		];
		const results = [
			result([
				cand('typed', 'a', { x: 0, y: 5 }, Number.NaN),
				cand('typed', 'b', { x: 2, y: 1 }, -3),
				cand('typed', 'c', { x: 1, y: 0 }, -1),
			]),
			result([cand('typed', 'a', { x: 0, y: 0 }, -1), cand('typed', 'b', { x: 1, y: 1 }, -2)]),
			result(
				[cand('typed', 'a', { x: 0, y: 0 }, -1)],
				['candidate 2 is 2000 tokens with its prompt; the limit is 1024'],
			),
		];
		expect(evalItemsOf(items, ['math', undefined, 'chat'], results, ['x', 'y'])).toEqual([
			{ label: 1, category: 'math', picks: { 'reward:x': 1, 'reward:y': 0, logprob: 2, logprob_sum: 2 } },
		]);
	});
});

describe('the Score page best-of-N inputs', () => {
	it('reads prompt lines with a reference; bad lines are errors naming the line', () => {
		const p = parsePromptsJsonl(
			[
				'{"messages":[{"role":"user","content":"Say c"}],"reference":"c"}',
				'',
				'nope',
				'{"messages":[]}',
				'{"messages":"x","reference":"a"}',
			].join('\n'),
			'p.jsonl',
		);
		expect(p.prompts).toEqual([{ messages: [{ role: 'user', content: 'Say c' }] }]);
		expect(p.references).toEqual(['c']);
		expect(p.errors).toEqual([
			expect.stringMatching(/^p\.jsonl: line 3: not valid JSON/),
			'p.jsonl: line 4: no string "reference" answer to check the samples against',
			'p.jsonl: line 5: "messages" must be an array of {"role","content"} messages',
		]);
	});

	it('pools the generated samples only, exact match after trimming, an empty answer ranked last by log-prob', () => {
		const results = [
			result([
				cand('typed', 'c', { r: 9 }, 0),
				cand('generated', ' c\n', { r: 1 }, -5),
				cand('generated', 'x', { r: 2 }, -1),
				cand('generated', '', { r: 0 }, Number.NaN),
			]),
		];
		const c = curvesOf(results, ['c'], ['r']);
		const pools = [
			{ quality: [1, 0, 0], scores: { reward: [1, 2, 0], logprob: [-5, -1, -1e9], logprob_sum: [-10, -2, -1e9] } },
		];
		expect(c).toEqual(bestOfNCurves(pools));
		expect(c?.curves.random).toEqual([1 / 3, 1 / 3, 1 / 3].map((x) => expect.closeTo(x, 12)));
		expect(curvesOf([result([cand('typed', 'c', { r: 1 }, 0)])], ['c'], ['r'])).toBeNull();
	});
});
