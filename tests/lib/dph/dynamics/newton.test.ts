import { describe, expect, it } from 'vitest';
import { DynamicsSpecError, linearOptimum, simulate } from '../../../../src/lib/dph/dynamics';

describe('linearOptimum: the Newton minimiser of the linear model', () => {
	it.each(['condph', 'sepdph'])('%s: training converges to the Newton minimiser of the same objective', (loss) => {
		const spec = {
			model: 'linear',
			loss,
			params: { eps: 0.1 },
			optimizer: 'sgd',
			lr: 2,
			batchSize: 256,
			steps: 5000,
			recordLoss: false,
		} as const;
		const opt = linearOptimum(spec);
		expect(opt.converged).toBe(true);
		const res = simulate(spec);
		expect(res.meanMargin[res.step]).toBeCloseTo(opt.meanMargin, 6);
		expect(res.meanRw[res.step]).toBeCloseTo(opt.meanRw, 6);
		// A shared w cannot give every pair the per-pair target: margins spread, the mean falls short of it.
		expect(opt.sdMargin).toBeGreaterThan(0.3);
		expect(opt.meanMargin).toBeLessThan(res.targets.margin);
		expect(opt.accuracy).toBeGreaterThan(0.9);
	});

	it('linearOptimum needs the linear model', () => {
		expect(() => linearOptimum({ model: 'free' })).toThrow(DynamicsSpecError);
	});
});
