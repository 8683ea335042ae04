import { describe, expect, it } from 'vitest';
import {
	binaryEntropy,
	logit,
	logSigmoid,
	sigmoid,
	sigmoidPrime,
	smoothedLogistic,
	smoothedLogisticD1,
	softplus,
} from '../../../../src/lib/dph/losses/stable';
import { close, logsig, sig } from './reference';

// The naive forms lose relative precision in the tails (1 + e^{−30} rounds), so compare where they are good.
const moderate = [-12, -7.5, -1, -1e-3, 0, 1e-3, 0.7, 3, 12];

describe('stable float64 helpers', () => {
	it('agree with the naive formulas at moderate x', () => {
		for (const x of moderate) {
			expect(close(softplus(x), Math.log(1 + Math.exp(x)), 1e-10, 1e-300)).toBe(true);
			expect(close(logSigmoid(x), logsig(x), 1e-10, 1e-300)).toBe(true);
			expect(close(sigmoid(x), sig(x), 1e-15, 1e-300)).toBe(true);
			expect(close(sigmoidPrime(x), sig(x) * (1 - sig(x)), 1e-10, 1e-300)).toBe(true);
			for (const eps of [0, 0.1, 0.5]) {
				expect(close(smoothedLogistic(x, eps), -(1 - eps) * logsig(x) - eps * logsig(-x), 1e-10, 1e-14)).toBe(true);
				expect(close(smoothedLogisticD1(x, eps), eps - 1 / (Math.exp(x) + 1), 1e-10, 1e-300)).toBe(true);
			}
		}
	});

	it('stay finite and asymptotically right where the naive forms overflow or hit log(0)', () => {
		expect(Math.log(1 + Math.exp(800))).toBe(Number.POSITIVE_INFINITY); // the failure being avoided
		expect(Math.log(1 / (1 + Math.exp(800)))).toBe(Number.NEGATIVE_INFINITY);
		expect(softplus(1e4)).toBe(1e4);
		expect(softplus(-1e4)).toBe(0);
		expect(logSigmoid(-1e4)).toBe(-1e4);
		expect(logSigmoid(1e4)).toBe(-0);
		expect(logSigmoid(-800)).toBe(-800);
		expect(sigmoid(1e4)).toBe(1);
		expect(sigmoid(-1e4)).toBe(0);
		expect(sigmoidPrime(1e4)).toBe(0);
		expect(sigmoidPrime(-1e4)).toBe(0);
		expect(Number.isNaN(sigmoidPrime(800))).toBe(false);
		expect(smoothedLogistic(1e4, 0.1)).toBeCloseTo(1e3, 9);
		expect(smoothedLogisticD1(40, 0)).toBeLessThan(0); // keeps the tiny −σ(−40) rather than rounding to 0
		expect(smoothedLogisticD1(40, 0)).toBeCloseTo(-Math.exp(-40), 30);
	});

	it('logit and binary entropy', () => {
		expect(logit(0.5)).toBe(0);
		expect(logit(0.9)).toBeCloseTo(Math.log(9), 14);
		expect(logit(1 - 1e-12)).toBeCloseTo(Math.log((1 - 1e-12) / 1e-12), 3);
		expect(binaryEntropy(0)).toBe(0);
		expect(binaryEntropy(0.5)).toBeCloseTo(Math.LN2, 15);
		expect(binaryEntropy(0.1)).toBeCloseTo(-0.1 * Math.log(0.1) - 0.9 * Math.log(0.9), 15);
	});
});
