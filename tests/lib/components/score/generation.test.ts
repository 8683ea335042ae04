import { describe, expect, it } from 'vitest';
import {
	DEFAULT_SAMPLING,
	type PageState,
	rankSamples,
	readPageState,
	writePageState,
} from '../../../../src/lib/components/score/generation';
import type { RankedSample } from '../../../../src/lib/workers/generate-job';

describe('Score page state in the URL hash', () => {
	it('round-trips checkpoint, prompt, candidates and sampling; defaults are left out of the link', () => {
		const s: PageState = {
			checkpoint: { kind: 'demo', name: 'nano-echo-sepdph' },
			system: 'Be brief & exact',
			prompt: '42',
			candidates: ['a', '', '#b=c'],
			sampling: { ...DEFAULT_SAMPLING, n: 8, temperature: 0, topK: 5 },
		};
		const hash = writePageState(s);
		expect(hash).not.toMatch(/maxNewTokens|seed|topP/);
		expect(readPageState(hash)).toEqual(s);
		// A numeric-looking prompt stays text; stored checkpoints keep their kind.
		expect(readPageState('#prompt=42').prompt).toBe('42');
		expect(readPageState(writePageState({ ...s, checkpoint: { kind: 'stored', name: 'my:run' } })).checkpoint).toEqual({
			kind: 'stored',
			name: 'my:run',
		});
	});

	it('ignores what it cannot use: no hash, an unknown checkpoint kind, a non-number setting', () => {
		expect(readPageState('')).toEqual({ sampling: DEFAULT_SAMPLING });
		const r = readPageState('#ck=files:x&n=lots&candidates=7');
		expect(r.checkpoint).toBeUndefined();
		expect(r.candidates).toBeUndefined();
		expect(r.sampling.n).toBe(DEFAULT_SAMPLING.n);
	});
});

describe('rankSamples', () => {
	const c = (reward: number | null, logprob: number) => ({ reward, logprob }) as RankedSample;
	it('sorts by reward, falls back to log-prob without a head, puts NaN last and keeps input order on ties', () => {
		expect(rankSamples([c(1, -1), c(3, -9), c(1, -2), c(Number.NaN, 0)]).map((r) => r.i)).toEqual([1, 0, 2, 3]);
		expect(rankSamples([c(null, -3), c(null, Number.NaN), c(null, -1)]).map((r) => r.i)).toEqual([2, 0, 1]);
	});
});
