/**
 * What a landscape panel draws for one set of parameters, built once per change so a redraw only replays it: the
 * heatmap as pixels (written with putImageData from a reused buffer), contours and the quiver field as Path2D.
 * The heatmap fill is plain array code (no DOM), so it is unit-tested in Node.
 */
import { range } from 'd3';
import type { Landscape } from '../dph/landscape/index';
import type { LossParams, PreferenceLoss } from '../dph/losses/index';
import { addArrow } from './canvas-shapes';
import { lossColour, lossLevel } from './landscape-colour';
import { contourSegments } from './landscape-contours';

/** CSS pixels around each panel's square plot area (axes and labels live there). */
export const MARGIN = { left: 40, right: 10, top: 10, bottom: 34 };

/** Maps reward coordinates in [lo, hi]² to CSS pixels of a plot `size` wide, r_l upwards. */
export class PlotScale {
	constructor(
		readonly lo: number,
		readonly hi: number,
		readonly size: number,
	) {}
	px(rw: number): number {
		return MARGIN.left + ((rw - this.lo) / (this.hi - this.lo)) * this.size;
	}
	py(rl: number): number {
		return MARGIN.top + this.size - ((rl - this.lo) / (this.hi - this.lo)) * this.size;
	}
	/** Reward coordinates of a pixel position, clamped to the box. */
	toReward(x: number, y: number): [number, number] {
		const { lo, hi, size } = this;
		const c = (v: number) => Math.min(hi, Math.max(lo, v));
		return [c(lo + ((x - MARGIN.left) / size) * (hi - lo)), c(lo + ((MARGIN.top + size - y) / size) * (hi - lo))];
	}
}

const LUT_SIZE = 256;

/** RGB triples of lossColour at LUT_SIZE levels, so painting a pixel is a table look-up. */
export function lossLut(): Uint8ClampedArray {
	const lut = new Uint8ClampedArray(LUT_SIZE * 3);
	for (let k = 0; k < LUT_SIZE; k++) {
		const hex = lossColour(k / (LUT_SIZE - 1));
		lut[3 * k] = Number.parseInt(hex.slice(1, 3), 16);
		lut[3 * k + 1] = Number.parseInt(hex.slice(3, 5), 16);
		lut[3 * k + 2] = Number.parseInt(hex.slice(5, 7), 16);
	}
	return lut;
}
const LUT = lossLut();

/** Normalised levels t of every cell (landscape-colour.ts), into a reused array; index j·n + i as in the grid. */
export function normalise(g: Landscape, norm: Float32Array): void {
	const t = lossLevel(g.min, g.max);
	for (let k = 0; k < norm.length; k++) norm[k] = t(g.loss[k]);
}

/** Column (or row) look-up of the bilinear resampling from n grid points to p pixels: base index and weight. */
export interface Resample {
	n: number;
	p: number;
	base: Int32Array;
	frac: Float32Array;
}

export function resample(n: number, p: number): Resample {
	const base = new Int32Array(p);
	const frac = new Float32Array(p);
	for (let x = 0; x < p; x++) {
		// Pixel centres: grid point i sits at pixel i·p/(n − 1) (the scale's px), so pixel x reads grid (x + ½)(n − 1)/p.
		const g = Math.min(n - 1, Math.max(0, ((x + 0.5) * (n - 1)) / p));
		const b = Math.min(n - 2, Math.floor(g));
		base[x] = b;
		frac[x] = g - b;
	}
	return { n, p, base, frac };
}

/**
 * Paints the p×p plot (RGBA, rows top-down: r_l runs bottom-up) from the normalised grid, interpolating t
 * bilinearly between grid points so the heatmap is smooth at any pixel size, then looking colours up in the LUT.
 */
export function paintHeatmap(norm: Float32Array, r: Resample, data: Uint8ClampedArray): void {
	const { n, p, base, frac } = r;
	const top = LUT_SIZE - 1;
	for (let y = 0; y < p; y++) {
		const row = p - 1 - y;
		const j = base[row];
		const fj = frac[row];
		const o0 = j * n;
		const o1 = o0 + n;
		let o = 4 * y * p;
		for (let x = 0; x < p; x++) {
			const i = base[x];
			const fi = frac[x];
			const a = norm[o0 + i] + fi * (norm[o0 + i + 1] - norm[o0 + i]);
			const b = norm[o1 + i] + fi * (norm[o1 + i + 1] - norm[o1 + i]);
			const t = a + fj * (b - a);
			const k = 3 * (t > 0 ? (t < 1 ? Math.round(t * top) : top) : 0);
			data[o] = LUT[k];
			data[o + 1] = LUT[k + 1];
			data[o + 2] = LUT[k + 2];
			data[o + 3] = 255;
			o += 4;
		}
	}
}

function levels(count: number): number[] {
	return range(1, count + 1).map((k) => k / (count + 1));
}

/**
 * Contour lines, traced on a half-resolution copy of the normalised grid (at display size the coarser lines are
 * indistinguishable), as loose segments (landscape-contours.ts).
 */
export function contourPath(norm: Float32Array, n: number, count: number, s: PlotScale, coarse: Float64Array): Path2D {
	const m = Math.ceil(n / 2);
	for (let j = 0; j < m; j++) {
		const jj = Math.min(n - 1, 2 * j);
		for (let i = 0; i < m; i++) coarse[j * m + i] = norm[jj * n + Math.min(n - 1, 2 * i)];
	}
	const scale = s.size / (m - 1);
	const bottom = MARGIN.top + s.size;
	const path = new Path2D();
	contourSegments(coarse, m, levels(count), (x0, y0, x1, y1) => {
		path.moveTo(MARGIN.left + x0 * scale, bottom - y0 * scale);
		path.lineTo(MARGIN.left + x1 * scale, bottom - y1 * scale);
	});
	return path;
}

/**
 * A margin loss is constant along r_w − r_l = Δ, so its contours are straight lines: find the margins where the
 * normalised loss crosses each level along the grid's 2n − 1 distinct margins, and draw those lines.
 */
export function marginContourPath(norm: Float32Array, n: number, count: number, s: PlotScale): Path2D {
	const { lo, hi } = s;
	const path = new Path2D();
	const ts = levels(count);
	// norm along the bottom row (j = 0) and left column (i = 0) covers margins from lo−hi to hi−lo.
	const value = (d: number) => (d >= 0 ? norm[d] : norm[-d * n]);
	const step = (hi - lo) / (n - 1);
	for (let d = -(n - 1); d < n - 1; d++) {
		const a = value(d);
		const b = value(d + 1);
		for (const t of ts) {
			if ((a - t) * (b - t) >= 0 || a === b) continue;
			const margin = (d + (t - a) / (b - a)) * step;
			const x0 = Math.max(lo, lo + margin);
			const x1 = Math.min(hi, hi + margin);
			if (x0 >= x1) continue;
			path.moveTo(s.px(x0), s.py(x0 - margin));
			path.lineTo(s.px(x1), s.py(x1 - margin));
		}
	}
	return path;
}

/** The −∇L field on a k×k lattice as two paths (shafts, heads); lengths grow with |∇L| (sqrt keeps small ones visible). */
export function quiverPaths(
	loss: PreferenceLoss<LossParams>,
	params: LossParams,
	k: number,
	s: PlotScale,
): { shafts: Path2D; heads: Path2D } {
	const shafts = new Path2D();
	const heads = new Path2D();
	const { lo, hi } = s;
	const pts: [number, number, number, number][] = [];
	let maxNorm = 0;
	for (let a = 0; a < k; a++) {
		for (let b = 0; b < k; b++) {
			const rw = lo + ((a + 0.5) / k) * (hi - lo);
			const rl = lo + ((b + 0.5) / k) * (hi - lo);
			const [gw, gl] = loss.grad(rw, rl, params);
			pts.push([rw, rl, -gw, -gl]);
			maxNorm = Math.max(maxNorm, Math.hypot(gw, gl));
		}
	}
	const cell = s.size / k;
	for (const [rw, rl, dw, dl] of pts) {
		const norm = Math.hypot(dw, dl);
		if (norm < 1e-9 || maxNorm === 0) continue;
		const len = 0.45 * cell * Math.sqrt(norm / maxNorm);
		const x = s.px(rw);
		const y = s.py(rl);
		addArrow(shafts, heads, x, y, x + (dw / norm) * len, y - (dl / norm) * len, 4);
	}
	return { shafts, heads };
}
