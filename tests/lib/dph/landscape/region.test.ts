import { describe, expect, it } from 'vitest';
import { marginPolygon, optimalRegion } from '../../../../src/lib/dph/landscape/region';
import { getLoss } from '../../../../src/lib/dph/losses/index';

describe('optimal region for drawing', () => {
	it('SepDPH: the point (log((1−ε)/ε), −log((1−ε)/ε))', () => {
		const o = getLoss('sepdph').optimum({ eps: 0.1 });
		const r = optimalRegion(o, -6, 6);
		expect(r).toMatchObject({ kind: 'point', inside: true });
		if (r.kind === 'point') expect(r.rw).toBeCloseTo(Math.log(9), 14);
		expect(optimalRegion(getLoss('sepdph').optimum({ eps: 0.001 }), -6, 6)).toMatchObject({
			kind: 'point',
			inside: false,
		});
	});

	it('ConDPH: the line r_w − r_l = m clipped to the box, and a band polygon', () => {
		const m = Math.log(9);
		const r = optimalRegion(getLoss('condph').optimum({ eps: 0.1 }), -6, 6, { band: 0.25 });
		expect(r.kind).toBe('line');
		if (r.kind !== 'line') return;
		const [[x0, y0], [x1, y1]] = r.segment!;
		expect(x0 - y0).toBeCloseTo(m, 12);
		expect(x1 - y1).toBeCloseTo(m, 12);
		for (const v of [x0, y0, x1, y1]) expect(Math.abs(v)).toBeLessThanOrEqual(6 + 1e-12);
		expect([x0, y1]).toEqual([-6 + m, 6 - m]);
		for (const [a, b] of r.band!) {
			expect(Math.abs(a - b - m)).toBeLessThanOrEqual(0.25 + 1e-12);
			expect(Math.abs(a)).toBeLessThanOrEqual(6 + 1e-12);
		}
		expect(r.band!.length).toBeGreaterThanOrEqual(4);
		// a margin outside the box has no segment
		const far = optimalRegion({ kind: 'margin', margin: 20, value: 0, closedForm: true }, -6, 6);
		expect(far).toMatchObject({ kind: 'line', segment: null, band: null });
	});

	it('SLiC: the half-plane r_w − r_l ≥ δ as a polygon', () => {
		const r = optimalRegion(getLoss('slic').optimum({ delta: 1 }), -6, 6);
		expect(r.kind).toBe('polygon');
		if (r.kind !== 'polygon') return;
		for (const [a, b] of r.polygon) expect(a - b).toBeGreaterThanOrEqual(1 - 1e-12);
		expect(r.polygon).toContainEqual([6, -6]);
		expect(marginPolygon(-1, 1, 5, 6)).toEqual([]);
		expect(marginPolygon(-1, 1, -10, 10)).toHaveLength(4);
	});

	it('DPO: none, with the direction of descent', () => {
		const r = optimalRegion(getLoss('dpo').optimum({}), -6, 6);
		expect(r).toMatchObject({ kind: 'none' });
		if (r.kind === 'none') expect(r.towards[0]).toBeGreaterThan(0);
	});
});
