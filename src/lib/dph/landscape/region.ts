/** The optimum of a loss as a shape to draw over its landscape: a point, a line or band, a polygon, or a direction. */
import type { Optimum } from '../losses/types';

export type Point = [number, number];

/**
 * The optimum as a shape in the [lo, hi]² box (coordinates (r_w, r_l)):
 * - `point`: the minimiser, with `inside` telling whether it lies in the box;
 * - `line`: the optimal line r_w − r_l = margin as a segment (null when it misses the box), and with
 *   `band` > 0 also the polygon |r_w − r_l − margin| ≤ band (a visible stripe, like the paper's Figure 1);
 * - `polygon`: a region of minimisers (the hinge's half-plane r_w − r_l ≥ marginMin), clipped;
 * - `none`: no finite optimum; `towards` is the unit direction in which the loss keeps decreasing.
 */
export type OptimalRegion =
	| { kind: 'point'; rw: number; rl: number; inside: boolean }
	| { kind: 'line'; margin: number; segment: [Point, Point] | null; band: Point[] | null }
	| { kind: 'polygon'; polygon: Point[]; marginMin?: number; marginMax?: number }
	| { kind: 'none'; towards: [number, number]; direction: string; reason: string };

export function optimalRegion(optimum: Optimum, lo: number, hi: number, opts: { band?: number } = {}): OptimalRegion {
	switch (optimum.kind) {
		case 'point':
			return {
				kind: 'point',
				rw: optimum.rw,
				rl: optimum.rl,
				inside: optimum.rw >= lo && optimum.rw <= hi && optimum.rl >= lo && optimum.rl <= hi,
			};
		case 'margin': {
			const m = optimum.margin;
			const a = Math.max(lo, lo + m);
			const b = Math.min(hi, hi + m);
			const segment: [Point, Point] | null =
				a <= b
					? [
							[a, a - m],
							[b, b - m],
						]
					: null;
			const band = opts.band && opts.band > 0 ? marginPolygon(lo, hi, m - opts.band, m + opts.band) : null;
			return { kind: 'line', margin: m, segment, band: band && band.length >= 3 ? band : null };
		}
		case 'set':
			return {
				kind: 'polygon',
				polygon: marginPolygon(
					lo,
					hi,
					optimum.marginMin ?? Number.NEGATIVE_INFINITY,
					optimum.marginMax ?? Number.POSITIVE_INFINITY,
				),
				marginMin: optimum.marginMin,
				marginMax: optimum.marginMax,
			};
		case 'diverges':
			return { kind: 'none', towards: optimum.towards, direction: optimum.direction, reason: optimum.reason };
	}
}

/** The part of the box [lo, hi]² with mMin ≤ r_w − r_l ≤ mMax (Sutherland–Hodgman against two half-planes). */
export function marginPolygon(lo: number, hi: number, mMin: number, mMax: number): Point[] {
	let poly: Point[] = [
		[lo, lo],
		[hi, lo],
		[hi, hi],
		[lo, hi],
	];
	if (Number.isFinite(mMin)) poly = clip(poly, (q) => q[0] - q[1] - mMin);
	if (Number.isFinite(mMax)) poly = clip(poly, (q) => mMax - (q[0] - q[1]));
	return poly;
}

/** Keeps the part of a convex polygon where the affine function s ≥ 0. */
function clip(poly: Point[], s: (q: Point) => number): Point[] {
	const outp: Point[] = [];
	for (let k = 0; k < poly.length; k++) {
		const a = poly[k];
		const b = poly[(k + 1) % poly.length];
		const sa = s(a);
		const sb = s(b);
		if (sa >= 0) outp.push(a);
		if (sa >= 0 !== sb >= 0) {
			const t = sa / (sa - sb);
			outp.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
		}
	}
	return outp;
}
