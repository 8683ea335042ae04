import { describe, expect, it } from 'vitest';
import {
	argmax,
	checkSampling,
	SamplingError,
	sampleToken,
	samplingDistribution,
} from '../../../../src/lib/dph/generate/sample';
import { mulberry32 } from '../../../../src/lib/dph/random';

// Logits whose softmax at T = 1 is exactly these probabilities, so every expected distribution below is written
// down by hand from them rather than recomputed by the code under test.
const P = [0.4, 0.25, 0.15, 0.1, 0.06, 0.04];
const logits = P.map(Math.log);

/** Pearson's χ² of `draws` samples against `expected` (cells with expected 0 must stay empty). */
function chiSquare(draw: () => number, expected: number[], draws: number): number {
	const counts = new Array(expected.length).fill(0);
	for (let i = 0; i < draws; i++) counts[draw()]++;
	let chi = 0;
	expected.forEach((p, i) => {
		if (p === 0) expect(counts[i], `token ${i} has no mass but was drawn`).toBe(0);
		else chi += (counts[i] - draws * p) ** 2 / (draws * p);
	});
	return chi;
}

describe('next-token sampling', () => {
	const sqrtZ = P.reduce((a, p) => a + Math.sqrt(p), 0);
	const cases: [string, Parameters<typeof samplingDistribution>[1], number[]][] = [
		['T = 1', { temperature: 1 }, P],
		['T = 2 (p^½, renormalised)', { temperature: 2 }, P.map((p) => Math.sqrt(p) / sqrtZ)],
		['top-k 3', { temperature: 1, topK: 3 }, [0.5, 0.3125, 0.1875, 0, 0, 0]],
		['top-p 0.6 (0.4 + 0.25 crosses it)', { temperature: 1, topP: 0.6 }, [0.4 / 0.65, 0.25 / 0.65, 0, 0, 0, 0]],
		[
			'top-k 4 then top-p 0.85 (of the renormalised 4)',
			{ temperature: 1, topK: 4, topP: 0.85 },
			[0.5, 0.3125, 0.1875, 0, 0, 0],
		],
	];
	for (const [name, opts, expected] of cases) {
		it(`${name}: the distribution is the hand-derived one, and 20 000 seeded draws fit it (χ², df 5, p > 0.001)`, () => {
			const d = samplingDistribution(logits, opts);
			for (const [i, p] of expected.entries()) expect(d[i]).toBeCloseTo(p, 12);
			const rand = mulberry32(1234);
			// χ²(0.999, df = 5) = 20.52: a wrong distribution at this many draws lands far above it.
			expect(chiSquare(() => sampleToken(logits, opts, rand), expected, 20_000)).toBeLessThan(20.52);
		});
	}

	it('top-k keeps every token tied with the k-th, as Hugging Face does', () => {
		const d = samplingDistribution([3, 1, 1, 1, 0], { temperature: 1, topK: 2 });
		expect([...d].map((x) => x > 0)).toEqual([true, true, true, true, false]);
		expect(d.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
	});

	it('greedy is the argmax (first of ties) and draws nothing from the stream', () => {
		expect(argmax([0, 2, 2, 1])).toBe(1);
		let drawn = 0;
		const rand = () => {
			drawn++;
			return 0.5;
		};
		expect(sampleToken([0.1, -3, 5, 4.9], { temperature: 0, topK: 1 }, rand)).toBe(2);
		expect(drawn).toBe(0);
		expect([...samplingDistribution([1, 7, 7], { temperature: 0 })]).toEqual([0, 1, 0]);
	});

	it('the same seed gives the same tokens; another seed does not', () => {
		const run = (seed: number) => {
			const r = mulberry32(seed);
			return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 0.8, topP: 0.95 }, r));
		};
		expect(run(7)).toEqual(run(7));
		expect(run(7)).not.toEqual(run(8));
	});

	it('bad options name the field', () => {
		expect(() => checkSampling({ temperature: -1 })).toThrow(SamplingError);
		expect(() => checkSampling({ temperature: -1 })).toThrow(/sampling\.temperature = -1 is invalid/);
		expect(() => checkSampling({ temperature: 1, topP: 0 })).toThrow(
			/sampling\.topP = 0 is invalid: valid 0 < topP ≤ 1/,
		);
		expect(() => checkSampling({ temperature: 1, topK: 2.5 })).toThrow(/sampling\.topK/);
		expect(checkSampling({ temperature: 0.7, topK: 40, topP: 0.9 })).toEqual({ temperature: 0.7, topK: 40, topP: 0.9 });
	});
});
