import { describe, expect, it } from 'vitest';
import { simulate } from '../../../../src/lib/dph/dynamics';

describe('linear reward model r = w·x', () => {
	it('chosen features score higher along the hidden direction w*; features are [1, a]', () => {
		const res = simulate({ model: 'linear', pairs: 300, steps: 1, features: { dim: 5, separation: 0 } });
		const wStar = res.trueDirection!;
		const { width, xw, xl } = res.features!;
		expect(wStar.length).toBe(5);
		expect(width).toBe(6);
		expect(Math.hypot(...wStar)).toBeCloseTo(1, 12);
		expect(res.weights!.length).toBe(6);
		for (let i = 0; i < 300; i++) {
			expect(xw[i * width]).toBe(1);
			expect(xl[i * width]).toBe(1);
			let proj = 0;
			for (let j = 0; j < 5; j++) proj += wStar[j] * (xw[i * width + 1 + j] - xl[i * width + 1 + j]);
			expect(proj).toBeGreaterThanOrEqual(0);
		}
	});
});
