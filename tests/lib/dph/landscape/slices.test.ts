import { describe, expect, it } from 'vitest';
import { computeSlice, descend } from '../../../../src/lib/dph/landscape/slices';
import { getLoss } from '../../../../src/lib/dph/losses/index';
import { d1 } from '../losses/reference';

describe('slices', () => {
	it('along r_w at fixed r_l, along r_l at fixed r_w, along the margin; derivatives match differences', () => {
		for (const name of ['sepdph', 'condph', 'ipo', 'bco']) {
			const loss = getLoss(name);
			const p = loss.validate({});
			for (const along of ['rw', 'rl', 'margin'] as const) {
				const s = computeSlice(name, {}, { along, at: 0.7, lo: -5, hi: 5, n: 41 });
				expect(s.x[0]).toBe(-5);
				expect(s.x[40]).toBe(5);
				for (let i = 2; i < 39; i += 5) {
					const x = s.x[i];
					const f = (t: number) =>
						along === 'rw'
							? loss.value(t, 0.7, p)
							: along === 'rl'
								? loss.value(0.7, t, p)
								: loss.value(0.7 + t / 2, 0.7 - t / 2, p);
					expect(s.loss[i]).toBeCloseTo(f(x), 14);
					expect(s.d[i]).toBeCloseTo(d1(f, x), 8);
					expect(s.d2[i]).toBeCloseTo(
						d1((t) => d1(f, t, 1e-3), x, 1e-3),
						5,
					);
				}
			}
		}
	});

	it('a margin loss along the margin is its 1-D function f, whatever the midpoint', () => {
		const con = getLoss('condph');
		if (con.structure.kind !== 'margin') throw new Error('condph is a margin loss');
		const a = computeSlice('condph', { eps: 0.2 }, { along: 'margin', at: -3, lo: -4, hi: 4, n: 17 });
		const b = computeSlice('condph', { eps: 0.2 }, { along: 'margin', at: 5, lo: -4, hi: 4, n: 17 });
		for (let i = 0; i < 17; i++) {
			expect(a.loss[i]).toBeCloseTo(con.structure.f.value(a.x[i], { eps: 0.2 }), 13);
			expect(a.loss[i]).toBeCloseTo(b.loss[i], 13);
			expect(a.d[i]).toBeCloseTo(con.structure.f.d1(a.x[i], { eps: 0.2 }), 13);
			expect(a.d2[i]).toBeCloseTo(con.structure.f.d2(a.x[i], { eps: 0.2 }), 13);
		}
		const again = computeSlice('condph', { eps: 0.3 }, { along: 'rw', at: 0, lo: -4, hi: 4, n: 17 }, a);
		expect(again).toBe(a);
		expect(again.along).toBe('rw');
	});
});

describe('gradient-descent paths (margin dynamics)', () => {
	it('ConDPH: the margin converges to log((1−ε)/ε), the midpoint does not move', () => {
		const path = descend('condph', { eps: 0.1 }, { rw0: -1, rl0: 2, lr: 2, steps: 3000 });
		expect(path.margin.length).toBe(3001);
		expect(path.margin[0]).toBe(-3);
		expect(path.margin[3000]).toBeCloseTo(Math.log(9), 6);
		expect((path.rw[3000] + path.rl[3000]) / 2).toBeCloseTo(0.5, 12);
		for (let t = 1; t < 3001; t++) expect(path.loss[t]).toBeLessThanOrEqual(path.loss[t - 1] + 1e-15);
	});

	it('SepDPH: both rewards converge to ±log((1−ε)/ε)', () => {
		const path = descend('sepdph', { eps: 0.25 }, { rw0: 0, rl0: 0, lr: 2, steps: 2000 });
		expect(path.rw[2000]).toBeCloseTo(Math.log(3), 6);
		expect(path.rl[2000]).toBeCloseTo(-Math.log(3), 6);
	});

	it('DPO: the margin keeps growing (no finite optimum)', () => {
		const path = descend('dpo', {}, { rw0: 0, rl0: 0, lr: 1, steps: 5000 });
		for (let t = 1; t <= 5000; t++) expect(path.margin[t]).toBeGreaterThan(path.margin[t - 1]);
		expect(path.margin[5000]).toBeGreaterThan(8);
	});

	it('rejects bad step counts and learning rates', () => {
		expect(() => descend('dpo', {}, { rw0: 0, rl0: 0, lr: 0, steps: 5 })).toThrow('lr = 0 is invalid');
		expect(() => descend('dpo', {}, { rw0: 0, rl0: 0, lr: 1, steps: -1 })).toThrow('steps = -1 is invalid');
	});
});
