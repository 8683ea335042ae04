import { describe, expect, it } from 'vitest';
import { type SimulationResult, simulate, simulateSteps } from '../../../../src/lib/dph/dynamics';
import { linearAdamSpec, logOdds, tailMean } from './helpers';

describe('Theorem 1 (SepDPH): free rewards converge to r_w* = log((1−ε)/ε), r_l* = −r_w*', () => {
	it.each([0.1, 0.25, 0.4])('SGD, ε = %s, from an offset start', (eps) => {
		const res = simulate({
			loss: 'sepdph',
			params: { eps },
			optimizer: 'sgd',
			lr: 4,
			pairs: 64,
			batchSize: 64,
			steps: 600,
			init: { offset: 1.5, spread: 1 },
		});
		const t = res.step;
		expect(res.meanRw[t]).toBeCloseTo(logOdds(eps), 6);
		expect(res.meanRl[t]).toBeCloseTo(-logOdds(eps), 6);
		// Absolute targets: the offset the rewards started with is gone.
		expect(res.meanSum[0]).toBeGreaterThan(2);
		expect(Math.abs(res.meanSum[t])).toBeLessThan(1e-6);
		expect(res.targets).toMatchObject({ kind: 'point', rw: logOdds(eps), rl: -logOdds(eps), sum: 0 });
		// The minimum value is 2·H(ε), the binary entropy of each smoothed label.
		expect(res.loss[t]).toBeCloseTo(2 * (-eps * Math.log(eps) - (1 - eps) * Math.log(1 - eps)), 9);
	});

	it.each(['adam', 'laprop'] as const)('%s with a small learning rate settles on the same targets', (optimizer) => {
		const res = simulate({
			loss: 'sepdph',
			params: { eps: 0.1 },
			optimizer,
			lr: 0.01,
			pairs: 64,
			batchSize: 64,
			steps: 1500,
		});
		expect(Math.abs(tailMean(res.meanRw, 0.1) - logOdds(0.1))).toBeLessThan(0.02);
		expect(Math.abs(tailMean(res.meanRl, 0.1) + logOdds(0.1))).toBeLessThan(0.02);
		expect(res.accuracy[res.step]).toBe(1);
	});
});

describe('Theorem 2 (ConDPH): the margin converges to log((1−ε)/ε); r_w + r_l never moves', () => {
	it.each(['sgd', 'adam', 'laprop'] as const)('%s: margin → target, mean and per-pair sums conserved', (optimizer) => {
		const eps = 0.1;
		const res = simulate({
			loss: 'condph',
			params: { eps },
			optimizer,
			lr: optimizer === 'sgd' ? 3 : 0.01,
			pairs: 64,
			batchSize: 16,
			steps: 3000,
			eta: 0.1,
			init: { offset: 2, spread: 1 },
			track: 8,
		});
		// ∂L/∂r_l = −∂L/∂r_w exactly, and Adam/LaProp treat the two coordinates symmetrically, so every update moves
		// r_w and r_l by equal and opposite amounts. The only change in a sum is float64 rounding of the two updates.
		for (let t = 0; t <= res.step; t++) expect(Math.abs(res.meanSum[t] - res.meanSum[0])).toBeLessThan(1e-12);
		for (const tp of res.tracked) {
			const s0 = tp.rw[0] + tp.rl[0];
			for (let t = 0; t <= res.step; t++) expect(Math.abs(tp.rw[t] + tp.rl[t] - s0)).toBeLessThan(1e-12);
		}
		expect(res.meanSum[0]).toBeCloseTo(4, 0);
		expect(res.targets).toMatchObject({ kind: 'margin', rw: null, rl: null, sum: null });
	});

	it('noise-free SGD, full batch: the margin lands on log((1−ε)/ε)', () => {
		for (const eps of [0.05, 0.1, 0.3]) {
			const res = simulate({
				loss: 'condph',
				params: { eps },
				optimizer: 'sgd',
				lr: 3,
				pairs: 32,
				batchSize: 32,
				steps: 2000,
			});
			expect(res.meanMargin[res.step]).toBeCloseTo(logOdds(eps), 6);
			expect(res.sdMargin[res.step]).toBeLessThan(1e-6);
		}
	});

	it('a linear model with ConDPH never moves its bias weight: x_w − x_l has 0 there', () => {
		const spec = {
			model: 'linear',
			loss: 'condph',
			optimizer: 'laprop',
			lr: 0.05,
			eta: 0.2,
			init: { offset: 1.25 },
		} as const;
		const res = simulate(spec);
		expect(res.weights?.[0]).toBe(1.25);
		const sep = simulate({ ...spec, loss: 'sepdph' });
		expect(Math.abs(sep.weights?.[0] ?? 0)).toBeLessThan(0.3);
	});
});

describe('determinism, chunks and rows', () => {
	const spec = linearAdamSpec;

	function same(a: SimulationResult, b: SimulationResult) {
		for (const key of ['meanRw', 'meanRl', 'meanMargin', 'meanSum', 'loss', 'accuracy', 'rw', 'rl'] as const)
			expect(Array.from(a[key])).toEqual(Array.from(b[key]));
	}

	it('the same seed gives identical runs; another seed does not', () => {
		same(simulate(spec), simulate(spec));
		expect(Array.from(simulate({ ...spec, seed: 8 }).meanMargin)).not.toEqual(Array.from(simulate(spec).meanMargin));
	});

	it('data, initialisation and batches do not depend on the optimizer (fair comparisons)', () => {
		const a = simulate({ ...spec, optimizer: 'sgd' });
		const b = simulate({ ...spec, optimizer: 'laprop' });
		expect(a.meanMargin[0]).toBe(b.meanMargin[0]);
		expect(Array.from(a.trueDirection!)).toEqual(Array.from(b.trueDirection!));
	});

	it('simulateSteps yields the start, then every chunk, ending with the same numbers as simulate', () => {
		const snaps = [...simulateSteps(spec, 25)];
		expect(snaps.map((s) => s.step)).toEqual([0, 25, 50, 75, 100, 120]);
		expect(snaps.map((s) => s.done)).toEqual([false, false, false, false, false, true]);
		expect(new Set(snaps).size).toBe(snaps.length);
		same(snaps[snaps.length - 1], simulate(spec));
	});
});
