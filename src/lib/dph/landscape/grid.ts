/**
 * Loss and gradient of a preference loss on an n×n grid over the (r_w, r_l) plane. Typed arrays only — no
 * tensors — so a slider can recompute a 256×256 grid every frame.
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
import { getLoss, type LossName } from '../losses/index';
import type { LossParams, Optimum, PreferenceLoss } from '../losses/types';

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

export type AnyLoss = PreferenceLoss<LossParams>;

/** A loss given by name (looked up in the registry) or as the object itself. */
export function resolveLoss(loss: LossName | string | AnyLoss): AnyLoss {
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
	const loss = resolveLoss(lossOrName);
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
