import { describe, expect, it } from 'vitest';
import { lrSchedule } from '../../../../src/lib/dph/train/schedule';

describe('lrSchedule', () => {
	it('warms up linearly, then cosine-decays to lrMax·minRatio', () => {
		const lrMax = 3e-4;
		const minRatio = 0.1;
		const sched = lrSchedule({ lrMax, warmupSteps: 100, totalSteps: 1100, minRatio });
		expect(sched(0)).toBe(0);
		expect(sched(1)).toBeCloseTo(lrMax / 100, 15);
		expect(sched(50)).toBeCloseTo(lrMax / 2, 15);
		expect(sched(100)).toBeCloseTo(lrMax, 15);
		expect(sched(600)).toBeCloseTo(lrMax * (0.5 * (1 - minRatio) + minRatio), 15);
		expect(sched(350)).toBeCloseTo(lrMax * ((Math.cos(Math.PI / 4) * 0.5 + 0.5) * (1 - minRatio) + minRatio), 15);
		expect(sched(1100)).toBeCloseTo(lrMax * minRatio, 15);
		expect(sched(5000)).toBeCloseTo(lrMax * minRatio, 15);
		// Monotone down after warmup.
		for (let s = 100; s < 1100; s += 50) expect(sched(s + 50)).toBeLessThan(sched(s));
	});

	it('the min of warmup and cooldown, as in the reference (a short cooldown cuts into the warmup ramp)', () => {
		const sched = lrSchedule({ lrMax: 1, warmupSteps: 0, totalSteps: 10, minRatio: 0 });
		expect(sched(1)).toBeCloseTo(Math.cos(Math.PI / 10) * 0.5 + 0.5, 15);
		expect(sched(10)).toBeCloseTo(0, 15);
		expect(() => lrSchedule({ lrMax: 1, warmupSteps: 10, totalSteps: 10, minRatio: 0.1 })).toThrow(RangeError);
		expect(() => lrSchedule({ lrMax: 1, warmupSteps: 1, totalSteps: 10, minRatio: 1.5 })).toThrow(RangeError);
	});
});
