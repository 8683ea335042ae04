import { describe, expect, it } from 'vitest';
import { effectiveEps, simulate, theoreticalTargets } from '../../../../src/lib/dph/dynamics';
import { condph, sepdph, withLabelNoise } from '../../../../src/lib/dph/losses/index';
import { logOdds, tailMean } from './helpers';

describe('label noise η shifts the target to the expected-loss optimum, ε′ = ε + η − 2εη', () => {
	const cases: [number, number][] = [
		[0.1, 0.1],
		[0.1, 0.2],
		[0.05, 0.3],
		[0.25, 0.15],
	];

	it.each(cases)('ε = %s, η = %s: (1−η)·ℓ_ε(Δ) + η·ℓ_ε(−Δ) is ℓ_ε′(Δ), pointwise', (eps, eta) => {
		const e2 = effectiveEps(eps, eta);
		expect(e2).toBeCloseTo((1 - eta) * eps + eta * (1 - eps), 15);
		for (let d = -6; d <= 6; d += 0.5) {
			const mixed = (1 - eta) * condph.value(d, 0, { eps }) + eta * condph.value(0, d, { eps });
			expect(mixed).toBeCloseTo(condph.value(d, 0, { eps: e2 }), 12);
			const mixedSep = (1 - eta) * sepdph.value(d, -d / 2, { eps }) + eta * sepdph.value(-d / 2, d, { eps });
			expect(mixedSep).toBeCloseTo(sepdph.value(d, -d / 2, { eps: e2 }), 12);
		}
	});

	it.each(cases)('ε = %s, η = %s: the numeric minimiser of the expected loss agrees', (eps, eta) => {
		const e2 = effectiveEps(eps, eta);
		const con = withLabelNoise(condph, eta).optimum({ eps });
		expect(con.kind).toBe('margin');
		if (con.kind === 'margin') expect(con.margin).toBeCloseTo(logOdds(e2), 5);
		const sep = withLabelNoise(sepdph, eta).optimum({ eps });
		expect(sep.kind).toBe('point');
		if (sep.kind === 'point') {
			expect(sep.rw).toBeCloseTo(logOdds(e2), 5);
			expect(sep.rl).toBeCloseTo(-logOdds(e2), 5);
		}
		expect(theoreticalTargets('condph', { eps }, eta).margin).toBeCloseTo(logOdds(e2), 14);
		expect(theoreticalTargets('sepdph', { eps }, eta).rw).toBeCloseTo(logOdds(e2), 14);
	});

	it.each([
		['condph', 0.1, 0.2],
		['sepdph', 0.1, 0.2],
		['condph', 0.05, 0.1],
	] as const)('%s, ε = %s, η = %s: SGD on free rewards settles at the shifted target', (loss, eps, eta) => {
		const res = simulate({
			loss,
			params: { eps },
			eta,
			optimizer: 'sgd',
			lr: 0.1,
			pairs: 1000,
			batchSize: 1000,
			steps: 3000,
			recordLoss: false,
		});
		const target = logOdds(effectiveEps(eps, eta));
		const scale = loss === 'sepdph' ? 2 : 1;
		expect(res.targets.margin).toBeCloseTo(scale * target, 12);
		expect(Math.abs(tailMean(res.meanMargin) - scale * target)).toBeLessThan(0.03 * scale);
		// Clearly not the noise-free target.
		expect(Math.abs(tailMean(res.meanMargin) - scale * logOdds(eps))).toBeGreaterThan(0.3);
	});

	it('fixed flips are memorised by free rewards: flipped pairs go to −target', () => {
		const res = simulate({
			loss: 'condph',
			params: { eps: 0.1 },
			eta: 0.2,
			noise: 'fixed',
			optimizer: 'sgd',
			lr: 3,
			pairs: 200,
			batchSize: 200,
			steps: 2000,
		});
		const f = res.flippedCount / 200;
		expect(f).toBeGreaterThan(0.1);
		expect(res.accuracy[res.step]).toBeCloseTo(1 - f, 12);
		expect(res.meanMargin[res.step]).toBeCloseTo((1 - 2 * f) * logOdds(0.1), 6);
	});
});
