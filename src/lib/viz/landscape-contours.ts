/**
 * Contour lines as loose segments, by marching squares in one pass over the cells: the canvas strokes segments as
 * well as closed rings, so there is no need to stitch them into polygons as d3.contours does (that stitching was
 * most of the 2–7 ms a SepDPH panel spent on contours per ε move). Each cell is tested only against the levels
 * between its lowest and highest corner. No DOM: segments go to a callback.
 */

/** Edge points of a cell, index units: 0 bottom (a→b), 1 right (b→c), 2 top (d→c), 3 left (a→d). */
type Emit = (x0: number, y0: number, x1: number, y1: number) => void;

// Pairs of edges crossed, by corner case (bit 0: a ≥ t, 1: b, 2: c, 3: d); saddles 5 and 10 cut off each lone corner.
const SEGMENTS: number[][] = [
	[],
	[3, 0],
	[0, 1],
	[3, 1],
	[1, 2],
	[3, 0, 1, 2],
	[0, 2],
	[3, 2],
	[2, 3],
	[0, 2],
	[0, 1, 2, 3],
	[1, 2],
	[1, 3],
	[0, 1],
	[3, 0],
	[],
];

/**
 * Segments of the level sets {v = t} for sorted `levels` of an m×m grid `v` (index j·m + i; grid point (i, j)
 * at x = i, y = j), linearly interpolated along cell edges.
 */
export function contourSegments(v: ArrayLike<number>, m: number, levels: readonly number[], emit: Emit): void {
	const ex = [0, 0, 0, 0];
	const ey = [0, 0, 0, 0];
	for (let j = 0; j < m - 1; j++) {
		for (let i = 0; i < m - 1; i++) {
			const a = v[j * m + i];
			const b = v[j * m + i + 1];
			const c = v[(j + 1) * m + i + 1];
			const d = v[(j + 1) * m + i];
			const lo = Math.min(a, b, c, d);
			const hi = Math.max(a, b, c, d);
			for (const t of levels) {
				if (t <= lo) continue;
				if (t > hi) break;
				const k = (a >= t ? 1 : 0) | (b >= t ? 2 : 0) | (c >= t ? 4 : 0) | (d >= t ? 8 : 0);
				const seg = SEGMENTS[k];
				if (!seg.length) continue;
				// Only the crossed edges are used, and on those the two ends differ, so no division by zero.
				ex[0] = i + (t - a) / (b - a);
				ey[0] = j;
				ex[1] = i + 1;
				ey[1] = j + (t - b) / (c - b);
				ex[2] = i + (t - d) / (c - d);
				ey[2] = j + 1;
				ex[3] = i;
				ey[3] = j + (t - a) / (d - a);
				for (let s = 0; s < seg.length; s += 2) emit(ex[seg[s]], ey[seg[s]], ex[seg[s + 1]], ey[seg[s + 1]]);
			}
		}
	}
}
