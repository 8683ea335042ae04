import { describe, expect, it } from 'vitest';
import { bestOfN, bestOfNCurve, bestOfNCurves, pickProbabilities } from '../../../../src/lib/dph/eval/best-of-n';
import { mulberry32 } from '../../../../src/lib/dph/random';

/** Every N-subset of 0…n−1. */
function subsets(n: number, N: number): number[][] {
	const out: number[][] = [];
	const walk = (start: number, acc: number[]) => {
		if (acc.length === N) return void out.push([...acc]);
		for (let i = start; i < n; i++) walk(i + 1, [...acc, i]);
	};
	walk(0, []);
	return out;
}

/** Brute force: the mean over subsets of the pick's quality, a tie at the top broken uniformly (its mean). */
function bruteForce(scores: number[], quality: number[], N: number): number {
	const all = subsets(scores.length, N);
	let sum = 0;
	for (const s of all) {
		const top = Math.max(...s.map((i) => scores[i]));
		const tied = s.filter((i) => scores[i] === top);
		sum += tied.reduce((a, i) => a + quality[i], 0) / tied.length;
	}
	return sum / all.length;
}

describe('best-of-N from one pool', () => {
	it('equals brute-force enumeration of every subset, with and without tied scores (n = 8, all N)', () => {
		const rand = mulberry32(3);
		for (let trial = 0; trial < 20; trial++) {
			const n = 8;
			// Rounded scores make ties common; qualities are 0/1 correctness or a continuous judge reward.
			const scores = Array.from({ length: n }, () => Math.round(rand() * (trial % 2 ? 3 : 1000)));
			const quality = Array.from({ length: n }, () => (trial % 3 ? Number(rand() < 0.4) : rand()));
			const curve = bestOfNCurve(scores, quality);
			for (let N = 1; N <= n; N++) {
				const exact = bruteForce(scores, quality, N);
				expect(bestOfN(scores, quality, N)).toBeCloseTo(exact, 12);
				expect(curve[N - 1]).toBeCloseTo(exact, 12);
			}
		}
	});

	it('pick probabilities sum to 1 and need N − 1 lower-ranked members', () => {
		for (const [n, N] of [
			[1, 1],
			[10, 3],
			[64, 64],
			[300, 17],
		]) {
			const p = pickProbabilities(n, N);
			expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
			for (let i = 0; i < N - 1; i++) expect(p[i]).toBe(0);
		}
		// n = 4, N = 2: C(i−1, 1)/C(4, 2) = 0, 1/6, 2/6, 3/6.
		expect([...pickProbabilities(4, 2)].map((x) => x * 6)).toEqual([0, 1, 2, 3].map((x) => expect.closeTo(x, 12)));
		expect(() => pickProbabilities(3, 4)).toThrow(/1 ≤ N ≤ n/);
	});

	it('N = 1 is the pool mean for any predictor; N = n is the top-scored sample', () => {
		const q = [1, 0, 0, 1, 0];
		const s = [0.3, 2, -1, 5, 0];
		expect(bestOfN(s, q, 1)).toBeCloseTo(0.4, 14);
		expect(bestOfN(s, q, 5)).toBe(1);
		expect(bestOfN([1, 1, 1, 1, 1], q, 5)).toBeCloseTo(0.4, 14);
		expect(() => bestOfN([Number.NaN, 1], [0, 1], 1)).toThrow(/score 0 is NaN/);
	});

	it('curves over prompts: the mean of the per-pool curves, random flat at the mean, pools cut to the smallest', () => {
		const pools = [
			{ quality: [1, 0, 0], scores: { dph: [3, 1, 2], logprob: [1, 2, 3] } },
			{ quality: [0, 1, 1, 0], scores: { dph: [0, 4, 1, 9], logprob: [4, 3, 2, 1] } },
		];
		const c = bestOfNCurves(pools);
		expect(c.N).toEqual([1, 2, 3]);
		for (const name of ['dph', 'logprob'] as const) {
			const a = bestOfNCurve(pools[0].scores[name], pools[0].quality);
			const b = bestOfNCurve(pools[1].scores[name].slice(0, 3), pools[1].quality.slice(0, 3));
			for (const [i, v] of c.curves[name].entries()) expect(v).toBeCloseTo((a[i] + b[i]) / 2, 14);
		}
		expect(c.curves.random).toEqual([0.5, 0.5, 0.5].map((x) => expect.closeTo(x, 14)));
		expect(c.curves.dph[2]).toBeCloseTo(1, 14);
		expect(() =>
			bestOfNCurves([
				{ quality: [1], scores: { dph: [1] } },
				{ quality: [1], scores: {} },
			]),
		).toThrow(/pool 1 has no scores from predictor "dph"/);
	});
});
