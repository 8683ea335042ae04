import { describe, expect, it } from 'vitest';
import {
	convergence,
	convergenceGrid,
	convergenceStep,
	simulate,
	stepsToConverge,
} from '../../../../src/lib/dph/dynamics';
import { logOdds } from './helpers';

describe('convergence speed', () => {
	it('convergenceStep is the first step from which the series stays in the band', () => {
		const s = [5, 3, 2.09, 1.95, 2.6, 2.05, 1.98, 2.01];
		expect(convergenceStep(s, 2, 0.1)).toBe(5);
		expect(convergenceStep(s, 2, 0.1, 3)).toBe(2);
		expect(convergenceStep(s, 2, 0.001)).toBeNull();
		expect(convergenceStep(s, Number.POSITIVE_INFINITY, 1)).toBeNull();
		// With hold: the first run of `hold` consecutive steps inside the band.
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 2)).toBe(2);
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 3)).toBe(5);
		expect(convergenceStep(s, 2, 0.1, s.length - 1, 4)).toBeNull();
	});

	it('stepsToConverge with hold stops early and agrees with the full run', () => {
		const spec = { loss: 'sepdph', optimizer: 'laprop', lr: 0.03, pairs: 16, batchSize: 16, steps: 1500 } as const;
		const opts = { relTol: 0.05, hold: 50 };
		const early = stepsToConverge(spec, opts);
		const full = convergence(simulate(spec), opts);
		expect(early.steps).not.toBeNull();
		expect(early.steps).toBe(full.steps);
		expect(early.target).toBeCloseTo(2 * logOdds(0.1), 14);
		// A run that never gets inside for long enough reports null.
		expect(stepsToConverge({ ...spec, steps: 60 }, opts).steps).toBeNull();
		expect(() => stepsToConverge(spec, { hold: 0 })).toThrow(/hold = 0 is invalid/);
	});

	it('at a fixed learning rate SGD slows down sharply as ε shrinks (curvature ε(1−ε) at the optimum); LaProp only with the distance', () => {
		const base = { loss: 'condph', pairs: 16, batchSize: 16, steps: 4000 } as const;
		const sgd = (eps: number) =>
			stepsToConverge({ ...base, optimizer: 'sgd', lr: 0.3, params: { eps } }, { relTol: 0.02 }).steps;
		const lap = (eps: number) =>
			stepsToConverge({ ...base, optimizer: 'laprop', lr: 0.03, params: { eps } }, { relTol: 0.02 }).steps;
		const [s1, s2, s3] = [sgd(0.01), sgd(0.1), sgd(0.4)];
		const [l1, l3] = [lap(0.01), lap(0.4)];
		for (const x of [s1, s2, s3, l1, l3]) expect(x).not.toBeNull();
		expect(s1!).toBeGreaterThan(s2!);
		expect(s2!).toBeGreaterThan(s3!);
		// SGD: ~37× more steps from ε = 0.4 to 0.01; LaProp ~6×, about the ratio of the distances to the targets.
		expect(s1! / s3!).toBeGreaterThan(3 * (l1! / l3!));
	});

	it('convergence() reports target, band and final value; convergenceGrid yields one learning rate at a time', () => {
		const res = simulate({ loss: 'condph', optimizer: 'sgd', lr: 3, batchSize: 256, steps: 300 });
		const c = convergence(res, { tol: 0.01 });
		expect(c.target).toBeCloseTo(logOdds(0.1), 14);
		expect(c.band).toBe(0.01);
		expect(Math.abs(c.final - c.target)).toBeLessThan(0.01);
		const grid = [
			...convergenceGrid(
				{ loss: 'condph', optimizer: 'sgd', pairs: 8, batchSize: 8, steps: 200 },
				{ eps: [0.1, 0.3], lr: [1, 3, 5] },
			),
		];
		expect(grid.map((g) => g.length)).toEqual([2, 4, 6]);
		expect(grid[2][5]).toMatchObject({ eps: 0.3, lr: 5 });
	});
});
