/**
 * Loss landscapes over the (r_w, r_l) plane: loss and gradient on an n×n grid, the optimal region for drawing,
 * 1-D slices and gradient-descent paths. Typed arrays only — no tensors — so a slider can recompute a 256×256
 * grid every frame.
 *
 * Grid convention: row-major with r_w varying fastest. Cell (i, j), 0 ≤ i, j < n, is at index j·n + i with
 * r_w = lo + i·step, r_l = lo + j·step, step = (hi − lo)/(n − 1).
 *
 * Speed comes from the structure of the losses (see LossStructure):
 * - margin losses L = f(r_w − r_l): on a uniform grid r_w − r_l = (i − j)·step takes only 2n − 1 values, so f and
 *   f' are evaluated 2n − 1 times and each grid row is a shifted window of those arrays (a memcpy);
 *   ∂L/∂r_l = −∂L/∂r_w.
 * - separable losses L = w(r_w) + l(r_l): 2n evaluations, then one add per cell; ∂L/∂r_w depends only on i and
 *   ∂L/∂r_l only on j.
 * - anything else: one value() and grad() per cell (the `generic` method, also used to verify the fast paths).
 */
import { getLoss, type LossName } from './losses/index';
import type { LossParams, Optimum, PreferenceLoss } from './losses/types';

export interface GridSpec {
	lo: number;
	hi: number;
	n: number;
}

export type LandscapeMethod = 'margin' | 'separable' | 'generic';

export interface Landscape {
	n: number;
	lo: number;
	hi: number;
	step: number;
	/** n·n values, index j·n + i ↔ (r_w = lo + i·step, r_l = lo + j·step). */
	loss: Float32Array;
	drw: Float32Array;
	drl: Float32Array;
	/** Smallest and largest stored loss value. */
	min: number;
	max: number;
	optimum: Optimum;
	/** Which path computed it. */
	method: LandscapeMethod;
	lossName: string;
}

export interface LandscapeOptions {
	/** 'auto' (default) uses the loss's structure; 'generic' forces the per-cell loop. */
	method?: 'auto' | 'generic';
}

type AnyLoss = PreferenceLoss<LossParams>;

function resolve(loss: LossName | string | AnyLoss): AnyLoss {
	return typeof loss === 'string' ? getLoss(loss) : loss;
}

export function checkGrid(grid: GridSpec): void {
	const { lo, hi, n } = grid;
	if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
		throw new RangeError(`grid range ${lo}:${hi} is invalid: need finite lo < hi`);
	}
	if (!Number.isInteger(n) || n < 2 || n > 8192) {
		throw new RangeError(`grid size n = ${n} is invalid: need a whole number 2 ≤ n ≤ 8192`);
	}
}

// Scratch for the 1-D passes, grown on demand and reused, so repeated calls with an `out` allocate no arrays.
let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);
function s32(len: number): Float32Array {
	if (scratch32.length < len) scratch32 = new Float32Array(len);
	return scratch32;
}
function s64(len: number): Float64Array {
	if (scratch64.length < len) scratch64 = new Float64Array(len);
	return scratch64;
}

/**
 * Loss and gradient of `loss` on an n×n grid over [lo, hi]². Pass the previous result as `out` to reuse its
 * arrays (they are reallocated only when n grows). Parameters are validated (defaults filled; unknown keys ignored).
 */
export function computeLandscape(
	lossOrName: LossName | string | AnyLoss,
	params: LossParams | undefined,
	grid: GridSpec,
	out?: Landscape,
	opts: LandscapeOptions = {},
): Landscape {
	checkGrid(grid);
	const loss = resolve(lossOrName);
	const p = loss.validate(params ?? {});
	const { lo, hi, n } = grid;
	const cells = n * n;
	const step = (hi - lo) / (n - 1);
	const res: Landscape = out ?? {
		n,
		lo,
		hi,
		step,
		loss: new Float32Array(cells),
		drw: new Float32Array(cells),
		drl: new Float32Array(cells),
		min: 0,
		max: 0,
		optimum: { kind: 'margin', margin: 0, value: 0, closedForm: true },
		method: 'generic',
		lossName: loss.name,
	};
	if (res.loss.length !== cells) {
		res.loss = new Float32Array(cells);
		res.drw = new Float32Array(cells);
		res.drl = new Float32Array(cells);
	}
	res.n = n;
	res.lo = lo;
	res.hi = hi;
	res.step = step;
	res.lossName = loss.name;
	const s = loss.structure;
	if (opts.method === 'generic' || s.kind === 'none') fillGeneric(loss, p, res);
	else if (s.kind === 'margin') fillMargin(s.f, p, res);
	else fillSeparable(s.w, s.l, p, res);
	res.optimum = loss.optimum(p);
	return res;
}

function fillMargin(
	f: { value(x: number, p: LossParams): number; d1(x: number, p: LossParams): number },
	p: LossParams,
	res: Landscape,
): void {
	const { n, step, loss, drw, drl } = res;
	const m = 2 * n - 1;
	// One buffer holds f, f' and −f' for the 2n − 1 margins Δ_k = (k − (n − 1))·step.
	const buf = s32(3 * m);
	let min = Number.POSITIVE_INFINITY;
	let max = Number.NEGATIVE_INFINITY;
	for (let k = 0; k < m; k++) {
		const x = (k - (n - 1)) * step;
		buf[k] = f.value(x, p);
		const d = f.d1(x, p);
		buf[m + k] = d;
		buf[2 * m + k] = -d;
		const v = buf[k];
		if (v < min) min = v;
		if (v > max) max = v;
	}
	// Row j holds Δ = (i − j)·step for i = 0…n−1, i.e. k = i − j + n − 1: the window starting at n − 1 − j.
	const fv = buf.subarray(0, m);
	const fd = buf.subarray(m, 2 * m);
	const fdn = buf.subarray(2 * m, 3 * m);
	for (let j = 0; j < n; j++) {
		const a = n - 1 - j;
		const off = j * n;
		loss.set(fv.subarray(a, a + n), off);
		drw.set(fd.subarray(a, a + n), off);
		drl.set(fdn.subarray(a, a + n), off);
	}
	res.min = min;
	res.max = max;
	res.method = 'margin';
}

function fillSeparable(
	w: { value(x: number, p: LossParams): number; d1(x: number, p: LossParams): number },
	l: { value(x: number, p: LossParams): number; d1(x: number, p: LossParams): number },
	p: LossParams,
	res: Landscape,
): void {
	const { n, lo, step, loss, drw, drl } = res;
	// Values stay float64 until the sum so that each cell is rounded to float32 once, like the generic path.
	const v = s64(2 * n);
	const d = s32(2 * n);
	let minW = Number.POSITIVE_INFINITY;
	let maxW = Number.NEGATIVE_INFINITY;
	let minL = Number.POSITIVE_INFINITY;
	let maxL = Number.NEGATIVE_INFINITY;
	for (let i = 0; i < n; i++) {
		const x = lo + i * step;
		const a = w.value(x, p);
		const b = l.value(x, p);
		v[i] = a;
		v[n + i] = b;
		d[i] = w.d1(x, p);
		d[n + i] = l.d1(x, p);
		if (a < minW) minW = a;
		if (a > maxW) maxW = a;
		if (b < minL) minL = b;
		if (b > maxL) maxL = b;
	}
	const dw = d.subarray(0, n);
	for (let j = 0; j < n; j++) {
		const off = j * n;
		const lj = v[n + j];
		for (let i = 0; i < n; i++) loss[off + i] = v[i] + lj;
		drw.set(dw, off);
		drl.fill(d[n + j], off, off + n);
	}
	// fround is monotonic, so the extreme stored cells are the rounded extreme sums.
	res.min = Math.fround(minW + minL);
	res.max = Math.fround(maxW + maxL);
	res.method = 'separable';
}

function fillGeneric(loss: AnyLoss, p: LossParams, res: Landscape): void {
	const { n, lo, step } = res;
	let min = Number.POSITIVE_INFINITY;
	let max = Number.NEGATIVE_INFINITY;
	for (let j = 0; j < n; j++) {
		const rl = lo + j * step;
		for (let i = 0; i < n; i++) {
			const rw = lo + i * step;
			const k = j * n + i;
			res.loss[k] = loss.value(rw, rl, p);
			const [gw, gl] = loss.grad(rw, rl, p);
			res.drw[k] = gw;
			res.drl[k] = gl;
			const v = res.loss[k];
			if (v < min) min = v;
			if (v > max) max = v;
		}
	}
	res.min = min;
	res.max = max;
	res.method = 'generic';
}

/** r_w (or r_l) of grid column i (or row j). */
export function gridCoordinate(grid: { lo: number; step: number }, i: number): number {
	return grid.lo + i * grid.step;
}

// ───────────────────────────── optimal region, clipped to the drawn box ─────────────────────────────

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

// ───────────────────────────── 1-D slices ─────────────────────────────

/**
 * - `rw`: L along r_w with r_l = at; d = ∂L/∂r_w, d2 = ∂²L/∂r_w².
 * - `rl`: L along r_l with r_w = at; d = ∂L/∂r_l, d2 = ∂²L/∂r_l².
 * - `margin`: L along the margin x = r_w − r_l with the midpoint (r_w + r_l)/2 = at; d = dL/dx, d2 = d²L/dx²
 *   (for margin losses exactly f(x), f'(x), f''(x), whatever `at` is).
 */
export type SliceAxis = 'rw' | 'rl' | 'margin';

export interface SliceSpec {
	along: SliceAxis;
	at: number;
	lo: number;
	hi: number;
	n: number;
}

export interface Slice {
	along: SliceAxis;
	at: number;
	x: Float64Array;
	loss: Float64Array;
	d: Float64Array;
	d2: Float64Array;
}

export function computeSlice(
	lossOrName: LossName | string | AnyLoss,
	params: LossParams | undefined,
	spec: SliceSpec,
	out?: Slice,
): Slice {
	checkGrid(spec);
	const loss = resolve(lossOrName);
	const p = loss.validate(params ?? {});
	const { n, lo, hi, along, at } = spec;
	const res: Slice =
		out && out.x.length === n
			? out
			: {
					along,
					at,
					x: new Float64Array(n),
					loss: new Float64Array(n),
					d: new Float64Array(n),
					d2: new Float64Array(n),
				};
	res.along = along;
	res.at = at;
	const step = (hi - lo) / (n - 1);
	for (let i = 0; i < n; i++) {
		const x = lo + i * step;
		const rw = along === 'rw' ? x : along === 'rl' ? at : at + x / 2;
		const rl = along === 'rw' ? at : along === 'rl' ? x : at - x / 2;
		const [gw, gl] = loss.grad(rw, rl, p);
		const [[hww, hwl], [, hll]] = loss.hessian(rw, rl, p);
		res.x[i] = x;
		res.loss[i] = loss.value(rw, rl, p);
		if (along === 'rw') {
			res.d[i] = gw;
			res.d2[i] = hww;
		} else if (along === 'rl') {
			res.d[i] = gl;
			res.d2[i] = hll;
		} else {
			res.d[i] = (gw - gl) / 2;
			res.d2[i] = (hww - 2 * hwl + hll) / 4;
		}
	}
	return res;
}

// ───────────────────────────── gradient-descent paths (margin dynamics) ─────────────────────────────

export interface DescentSpec {
	rw0: number;
	rl0: number;
	/** Learning rate of plain gradient descent on the two rewards treated as free parameters. */
	lr: number;
	steps: number;
}

export interface DescentPath {
	/** steps + 1 entries each: the start, then after every step. */
	rw: Float64Array;
	rl: Float64Array;
	margin: Float64Array;
	loss: Float64Array;
}

/**
 * Gradient descent on (r_w, r_l) from a start point: how the rewards and their margin approach the optimum
 * (ConDPH: margin → log((1−ε)/ε)) or run away (DPO: the margin grows like log t).
 */
export function descend(
	lossOrName: LossName | string | AnyLoss,
	params: LossParams | undefined,
	spec: DescentSpec,
	out?: DescentPath,
): DescentPath {
	const loss = resolve(lossOrName);
	const p = loss.validate(params ?? {});
	const { steps, lr } = spec;
	if (!Number.isInteger(steps) || steps < 0)
		throw new RangeError(`steps = ${steps} is invalid: need a whole number ≥ 0`);
	if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`lr = ${lr} is invalid: need a finite number > 0`);
	const len = steps + 1;
	const res: DescentPath =
		out && out.rw.length === len
			? out
			: {
					rw: new Float64Array(len),
					rl: new Float64Array(len),
					margin: new Float64Array(len),
					loss: new Float64Array(len),
				};
	let rw = spec.rw0;
	let rl = spec.rl0;
	for (let t = 0; t < len; t++) {
		res.rw[t] = rw;
		res.rl[t] = rl;
		res.margin[t] = rw - rl;
		res.loss[t] = loss.value(rw, rl, p);
		const [gw, gl] = loss.grad(rw, rl, p);
		rw -= lr * gw;
		rl -= lr * gl;
	}
	return res;
}

// ───────────────────────────── export formats (CSV, JSON-ready, SVG) ─────────────────────────────

/** Shortest decimal that reads back as the same float32 (6–9 significant digits), so CSVs stay small. */
export function formatFloat32(x: number): string {
	if (!Number.isFinite(x)) return String(x);
	for (let p = 6; p < 9; p++) {
		const s = Number(x.toPrecision(p));
		if (Math.fround(s) === x) return String(s);
	}
	return String(Number(x.toPrecision(9)));
}

/** A grid coordinate without float64 noise (−6 + 3·0.047058823529411764 prints as −5.85882352941). */
export function formatCoordinate(x: number): string {
	return String(Number(x.toPrecision(12)));
}

/** CSV with header `r_w,r_l,loss,d_rw,d_rl`, one row per cell, row-major with r_w fastest. */
export function landscapeCsv(g: Landscape): string {
	const { n } = g;
	const xs: string[] = [];
	for (let i = 0; i < n; i++) xs.push(formatCoordinate(gridCoordinate(g, i)));
	const lines = new Array<string>(n * n + 1);
	lines[0] = 'r_w,r_l,loss,d_rw,d_rl';
	for (let j = 0; j < n; j++) {
		for (let i = 0; i < n; i++) {
			const k = j * n + i;
			lines[k + 1] =
				`${xs[i]},${xs[j]},${formatFloat32(g.loss[k])},${formatFloat32(g.drw[k])},${formatFloat32(g.drl[k])}`;
		}
	}
	return `${lines.join('\n')}\n`;
}

export interface LandscapeSvgOptions {
	title?: string;
	subtitle?: string;
	/** Most cells drawn per side; larger grids are sampled down (default 128). */
	maxCells?: number;
	/** Arrows per side of the descent-direction field (default 13; 0 for none). */
	arrows?: number;
	/** Half-width of the band drawn around an optimal margin line (default 0: line only). */
	band?: number;
}

// Viridis at nine stops: perceptually uniform and readable in greyscale.
const VIRIDIS = [
	[68, 1, 84],
	[71, 44, 122],
	[59, 81, 139],
	[44, 113, 142],
	[33, 144, 141],
	[39, 173, 129],
	[92, 200, 99],
	[170, 220, 50],
	[253, 231, 37],
];

function viridis(t: number): string {
	const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
	const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
	const f = x - k;
	const c = VIRIDIS[k].map((a, idx) => Math.round(a + f * (VIRIDIS[k + 1][idx] - a)));
	return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function niceTicks(lo: number, hi: number, count = 6): number[] {
	const raw = (hi - lo) / count;
	const mag = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
	const ticks: number[] = [];
	for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Number(t.toPrecision(12)));
	return ticks;
}

function esc(s: string): string {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const r2 = (x: number): string => String(Math.round(x * 100) / 100);

/**
 * A self-contained SVG heatmap of the landscape: colour = log(1 + L − min) (so steep losses such as IPO stay
 * readable), r_w on the x axis and r_l on the y axis (upwards), the optimal region on top, and arrows along the
 * descent direction −∇L. Horizontal runs of equal (quantised) colour are merged into one rect to keep files small.
 */
export function landscapeSvg(g: Landscape, opts: LandscapeSvgOptions = {}): string {
	const m = Math.min(g.n, Math.max(2, opts.maxCells ?? 128));
	const src = (a: number) => Math.round((a * (g.n - 1)) / (m - 1));
	const W = 660;
	const H = 560;
	const left = 70;
	const top = 56;
	const P = 440;
	const h = (g.hi - g.lo) / (m - 1);
	const x0 = g.lo - h / 2;
	const span = g.hi - g.lo + h;
	const sx = (r: number) => left + ((r - x0) / span) * P;
	const sy = (r: number) => top + P - ((r - x0) / span) * P;
	const cell = P / m;
	const levels = 64;
	const range = Math.log1p(Math.max(0, g.max - g.min));
	const level = (v: number) =>
		range > 0 ? Math.round((Math.log1p(Math.max(0, v - g.min)) / range) * (levels - 1)) : 0;
	const out: string[] = [];
	out.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
	);
	out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
	if (opts.title) out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
	if (opts.subtitle) out.push(`<text x="${left}" y="40" fill="#444">${esc(opts.subtitle)}</text>`);
	out.push(
		`<defs><clipPath id="plot"><rect x="${left}" y="${top}" width="${P}" height="${P}"/></clipPath>` +
			'<marker id="head" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="4" markerHeight="4" orient="auto"><path d="M0 0L10 5L0 10z" fill="#e4572e"/></marker></defs>',
	);
	// One path per colour level, one subpath per horizontal run of equal (quantised) colour: ~20 bytes a run.
	const runs: string[][] = Array.from({ length: levels }, () => []);
	for (let b = 0; b < m; b++) {
		const j = src(b);
		const y = r2(top + P - (b + 1) * cell);
		let a = 0;
		while (a < m) {
			const lv = level(g.loss[j * g.n + src(a)]);
			let e = a + 1;
			while (e < m && level(g.loss[j * g.n + src(e)]) === lv) e++;
			// Overlap by a hair so anti-aliased viewers show no seams between cells.
			const w = r2((e - a) * cell + 0.3);
			runs[lv].push(`M${r2(left + a * cell)} ${y}h${w}v${r2(cell + 0.3)}h-${w}z`);
			a = e;
		}
	}
	out.push('<g shape-rendering="crispEdges">');
	runs.forEach((d, lv) => {
		if (d.length) out.push(`<path fill="${viridis(lv / (levels - 1))}" d="${d.join('')}"/>`);
	});
	out.push('</g>');
	// Descent-direction field.
	const na = opts.arrows ?? 13;
	if (na > 0) {
		let gmax = 0;
		const pts: [number, number, number, number][] = [];
		for (let b = 0; b < na; b++) {
			for (let a = 0; a < na; a++) {
				const i = Math.round(((a + 0.5) * (g.n - 1)) / na);
				const j = Math.round(((b + 0.5) * (g.n - 1)) / na);
				const k = j * g.n + i;
				const gw = -g.drw[k];
				const gl = -g.drl[k];
				gmax = Math.max(gmax, Math.hypot(gw, gl));
				pts.push([gridCoordinate(g, i), gridCoordinate(g, j), gw, gl]);
			}
		}
		const len = (P / na) * 0.8;
		out.push('<g stroke="white" stroke-opacity="0.75" stroke-width="1.2" fill="none" clip-path="url(#plot)">');
		for (const [rw, rl, gw, gl] of pts) {
			const norm = Math.hypot(gw, gl);
			if (!(norm > 1e-12 * gmax) || gmax === 0) continue;
			const L = len * Math.sqrt(norm / gmax);
			const ux = gw / norm;
			const uy = -gl / norm;
			const xa = sx(rw);
			const ya = sy(rl);
			const xb = xa + ux * L;
			const yb = ya + uy * L;
			const hx = -ux * 4;
			const hy = -uy * 4;
			out.push(
				`<path d="M${r2(xa)} ${r2(ya)}L${r2(xb)} ${r2(yb)}M${r2(xb + hx - hy * 0.6)} ${r2(yb + hy + hx * 0.6)}L${r2(xb)} ${r2(yb)}L${r2(xb + hx + hy * 0.6)} ${r2(yb + hy - hx * 0.6)}"/>`,
			);
		}
		out.push('</g>');
	}
	// The optimum.
	const region = optimalRegion(g.optimum, g.lo, g.hi, { band: opts.band });
	const poly = (pts: Point[]) => pts.map(([a, b]) => `${r2(sx(a))},${r2(sy(b))}`).join(' ');
	out.push('<g clip-path="url(#plot)">');
	switch (region.kind) {
		case 'point':
			out.push(
				`<circle cx="${r2(sx(region.rw))}" cy="${r2(sy(region.rl))}" r="6" fill="#e4572e" stroke="white" stroke-width="2"><title>optimum r_w = ${region.rw.toPrecision(6)}, r_l = ${region.rl.toPrecision(6)}</title></circle>`,
			);
			break;
		case 'line':
			if (region.band) out.push(`<polygon points="${poly(region.band)}" fill="#4ea5ff" fill-opacity="0.35"/>`);
			if (region.segment) {
				const [[a0, b0], [a1, b1]] = region.segment;
				out.push(
					`<line x1="${r2(sx(a0))}" y1="${r2(sy(b0))}" x2="${r2(sx(a1))}" y2="${r2(sy(b1))}" stroke="#e4572e" stroke-width="2.5"><title>optimal margin r_w − r_l = ${region.margin.toPrecision(6)}</title></line>`,
				);
			}
			break;
		case 'polygon':
			if (region.polygon.length >= 3) {
				out.push(
					`<polygon points="${poly(region.polygon)}" fill="#4ea5ff" fill-opacity="0.3" stroke="#e4572e" stroke-width="2"><title>optimal set</title></polygon>`,
				);
			}
			break;
		case 'none': {
			// A bold arrow from the centre in the direction the loss keeps decreasing, and a caption.
			const cx = left + P / 2;
			const cy = top + P / 2;
			const [tx, ty] = region.towards;
			const L = P * 0.3;
			const ex = cx + tx * L;
			const ey = cy - ty * L;
			out.push(
				`<path d="M${r2(cx)} ${r2(cy)}L${r2(ex)} ${r2(ey)}" stroke="#e4572e" stroke-width="4" marker-end="url(#head)"/>`,
				`<rect x="${left + 40}" y="${top + 8}" width="${P - 80}" height="22" rx="4" fill="black" fill-opacity="0.55"/>`,
				`<text x="${cx}" y="${top + 23}" text-anchor="middle" fill="white" font-weight="bold">no finite optimum: ${esc(region.direction)}</text>`,
			);
			break;
		}
	}
	out.push('</g>');
	// Frame, ticks and labels.
	out.push(`<rect x="${left}" y="${top}" width="${P}" height="${P}" fill="none" stroke="#333"/>`);
	const ticks = niceTicks(g.lo, g.hi);
	out.push('<g fill="#222">');
	for (const t of ticks) {
		out.push(`<line x1="${r2(sx(t))}" y1="${top + P}" x2="${r2(sx(t))}" y2="${top + P + 5}" stroke="#333"/>`);
		out.push(`<text x="${r2(sx(t))}" y="${top + P + 18}" text-anchor="middle">${t}</text>`);
		out.push(`<line x1="${left - 5}" y1="${r2(sy(t))}" x2="${left}" y2="${r2(sy(t))}" stroke="#333"/>`);
		out.push(`<text x="${left - 8}" y="${r2(sy(t) + 4)}" text-anchor="end">${t}</text>`);
	}
	out.push(`<text x="${left + P / 2}" y="${top + P + 40}" text-anchor="middle">r_w (preferred reward)</text>`);
	out.push(
		`<text transform="translate(${left - 45} ${top + P / 2}) rotate(-90)" text-anchor="middle">r_l (dispreferred reward)</text>`,
	);
	out.push('</g>');
	// Colour bar.
	const cbx = left + P + 24;
	for (let k = 0; k < 32; k++) {
		out.push(
			`<rect x="${cbx}" y="${r2(top + P - ((k + 1) * P) / 32)}" width="14" height="${r2(P / 32 + 0.3)}" fill="${viridis(k / 31)}"/>`,
		);
	}
	out.push(`<rect x="${cbx}" y="${top}" width="14" height="${P}" fill="none" stroke="#333"/>`);
	out.push(`<text x="${cbx + 18}" y="${top + 10}">${esc(g.max.toPrecision(4))}</text>`);
	out.push(`<text x="${cbx + 18}" y="${top + P}">${esc(g.min.toPrecision(4))}</text>`);
	out.push(
		`<text transform="translate(${cbx + 60} ${top + P / 2}) rotate(90)" text-anchor="middle" fill="#444">loss (colour ∝ log(1 + L − min))</text>`,
	);
	out.push('</svg>');
	return `${out.join('\n')}\n`;
}
