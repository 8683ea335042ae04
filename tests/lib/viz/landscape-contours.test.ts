import { contours, range } from 'd3';
import { describe, expect, it } from 'vitest';
import { contourSegments } from '../../../src/lib/viz/landscape-contours';

const m = 64;
const v = new Float64Array(m * m);
for (let j = 0; j < m; j++)
	for (let i = 0; i < m; i++) v[j * m + i] = Math.hypot(i - 27.3, (j - 33.2) * 1.3) / 60 + 0.1 * Math.sin(i / 7);
const levels = range(1, 13).map((k) => k / 13);

/** Bilinear value of the grid at (x, y) in index units. */
function at(x: number, y: number): number {
	const i = Math.min(m - 2, Math.floor(x));
	const j = Math.min(m - 2, Math.floor(y));
	const fx = x - i;
	const fy = y - j;
	const q = (a: number, b: number) => v[b * m + a];
	return (
		(1 - fx) * (1 - fy) * q(i, j) +
		fx * (1 - fy) * q(i + 1, j) +
		(1 - fx) * fy * q(i, j + 1) +
		fx * fy * q(i + 1, j + 1)
	);
}

describe('contourSegments: marching squares without stitching', () => {
	it('every segment end lies on a level, and the lines are as long as d3.contours draws them', () => {
		let len = 0;
		let ends = 0;
		contourSegments(v, m, levels, (x0, y0, x1, y1) => {
			for (const [x, y] of [
				[x0, y0],
				[x1, y1],
			]) {
				expect(x).toBeGreaterThanOrEqual(0);
				expect(y).toBeLessThanOrEqual(m - 1);
				const t = at(x, y);
				expect(Math.min(...levels.map((l) => Math.abs(l - t)))).toBeLessThan(1e-9);
				ends++;
			}
			len += Math.hypot(x1 - x0, y1 - y0);
		});
		expect(ends).toBeGreaterThan(100);
		// d3 puts grid point k at k + 0.5 and closes rings along the border; count only its interior edges.
		let ref = 0;
		const inside = (x: number, y: number) => x > 0.5 && x < m - 0.5 && y > 0.5 && y < m - 0.5;
		for (const c of contours().size([m, m]).thresholds(levels)(v as unknown as number[]))
			for (const poly of c.coordinates)
				for (const ring of poly)
					for (let k = 1; k < ring.length; k++) {
						const [x0, y0] = ring[k - 1];
						const [x1, y1] = ring[k];
						if (inside(x0, y0) && inside(x1, y1)) ref += Math.hypot(x1 - x0, y1 - y0);
					}
		expect(Math.abs(len - ref) / ref).toBeLessThan(0.03);
	});

	it('a flat grid or levels outside its range draw nothing', () => {
		let count = 0;
		contourSegments(new Float64Array(16).fill(0.5), 4, levels, () => count++);
		contourSegments(v, m, [2, 3], () => count++);
		expect(count).toBe(0);
	});
});
