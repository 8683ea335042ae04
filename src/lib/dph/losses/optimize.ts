/**
 * Numeric minimisers for losses without a closed-form optimum (e.g. a loss under label noise, or a loss a
 * notebook user writes) and for checking the closed forms. They exploit the same structure as the landscape:
 * a margin loss is minimised along the margin with the midpoint (r_w + r_l)/2 held fixed; a separable loss
 * coordinate by coordinate; anything else by a damped 2-D Newton method.
 */
import type { Fn1D, LossParams, PreferenceLoss } from './types';

export interface MinimiseOptions {
	maxIter?: number;
	/** Smooth minimum: |gradient| ≤ gtol and the Newton step ≤ xtol·(1 + |x|). */
	gtol?: number;
	xtol?: number;
	/** Largest step per iteration, so a flat loss cannot jump to ±1e300 in one go. */
	maxStep?: number;
	/**
	 * Leaving |x| ≤ bound counts as divergence. It must stay well below ~700: beyond that e^{−x} underflows, so a
	 * logistic tail (DPO) has an exactly zero gradient and would be indistinguishable from a flat minimum (hinge).
	 */
	bound?: number;
}

export interface Minimum1D {
	x: number;
	value: number;
	d1: number;
	iterations: number;
	/**
	 * True at a smooth minimum (small gradient and Newton step), on a flat piece (gradient exactly 0), or at a kink
	 * where the derivative changes sign. False when the iterate left |x| ≤ bound or maxIter ran out: the loss has no
	 * finite minimiser in that direction (or converges extremely slowly).
	 */
	converged: boolean;
}

/** Safeguarded Newton on one variable: Newton step when the curvature is positive, else a gradient step; Armijo backtracking. */
export function minimise1D<P>(fn: Fn1D<P>, p: P, x0: number, opts: MinimiseOptions = {}): Minimum1D {
	const maxIter = opts.maxIter ?? 1000;
	const gtol = opts.gtol ?? 1e-12;
	const xtol = opts.xtol ?? 1e-12;
	const maxStep = opts.maxStep ?? 4;
	const bound = opts.bound ?? 500;
	let x = x0;
	let fx = fn.value(x, p);
	for (let it = 0; it < maxIter; it++) {
		const g = fn.d1(x, p);
		const h = fn.d2(x, p);
		// A flat piece (the hinge's zero region): every point there is a minimiser.
		if (g === 0 && h === 0) return { x, value: fx, d1: g, iterations: it, converged: true };
		let step = h > 0 ? -g / h : -g;
		if (h > 0 && Math.abs(g) <= gtol && Math.abs(step) <= xtol * (1 + Math.abs(x))) {
			// A gradient that is zero only by cancellation (e.g. a noisy mixture of linear tails) must not count:
			// a real minimum of a convex 1-D function rises measurably one unit away on both sides.
			const tol = 1e-12 * (1 + Math.abs(fx));
			if (fn.value(x - 1, p) > fx + tol && fn.value(x + 1, p) > fx + tol) {
				return { x, value: fx, d1: g, iterations: it, converged: true };
			}
			step = Math.sign(x - x0 || 1) * maxStep;
		}
		if (Math.abs(step) > maxStep) step = Math.sign(step) * maxStep;
		const full = step;
		let accepted = false;
		for (let k = 0; k < 80; k++) {
			const xn = x + step;
			const fn_ = fn.value(xn, p);
			// The rounding allowance lets Newton finish its last, sub-rounding steps near a smooth minimum.
			if (fn_ <= fx + 1e-4 * g * step + 4e-16 * Math.abs(fx)) {
				x = xn;
				fx = fn_;
				accepted = true;
				break;
			}
			step /= 2;
			if (Math.abs(step) <= xtol * (1 + Math.abs(x))) break;
		}
		if (!accepted) {
			// No descent at any step size. A sign change of the derivative across x certifies a minimum (a kink,
			// or a smooth minimum whose gradient is below rounding noise); otherwise the loss is flat to rounding
			// here (a far logistic tail), so keep walking downhill.
			// The change must exceed rounding noise, or a far tail whose derivative is ±1e−17 noise would pass.
			const dx = 1e-6 * (1 + Math.abs(x));
			const gl = fn.d1(x - dx, p);
			const gr = fn.d1(x + dx, p);
			if (gl <= 0 && gr >= 0 && gr - gl > 1e-13) {
				return { x, value: fx, d1: g, iterations: it, converged: true };
			}
			x += full;
			fx = fn.value(x, p);
		}
		if (Math.abs(x) > bound) return { x, value: fx, d1: fn.d1(x, p), iterations: it + 1, converged: false };
	}
	return { x, value: fx, d1: fn.d1(x, p), iterations: maxIter, converged: false };
}

export interface Minimum2D {
	rw: number;
	rl: number;
	value: number;
	grad: [number, number];
	iterations: number;
	converged: boolean;
}

export function minimise<P extends LossParams>(
	loss: PreferenceLoss<P>,
	p: P,
	start: { rw: number; rl: number } = { rw: 0, rl: 0 },
	opts: MinimiseOptions = {},
): Minimum2D {
	const s = loss.structure;
	if (s.kind === 'margin') {
		const mid = (start.rw + start.rl) / 2;
		const m = minimise1D(s.f, p, start.rw - start.rl, opts);
		const rw = mid + m.x / 2;
		const rl = mid - m.x / 2;
		return { rw, rl, value: m.value, grad: [m.d1, -m.d1], iterations: m.iterations, converged: m.converged };
	}
	if (s.kind === 'separable') {
		const a = minimise1D(s.w, p, start.rw, opts);
		const b = minimise1D(s.l, p, start.rl, opts);
		return {
			rw: a.x,
			rl: b.x,
			value: a.value + b.value,
			grad: [a.d1, b.d1],
			iterations: Math.max(a.iterations, b.iterations),
			converged: a.converged && b.converged,
		};
	}
	return newton2D(loss, p, start, opts);
}

function newton2D<P extends LossParams>(
	loss: PreferenceLoss<P>,
	p: P,
	start: { rw: number; rl: number },
	opts: MinimiseOptions,
): Minimum2D {
	const maxIter = opts.maxIter ?? 500;
	const gtol = opts.gtol ?? 1e-12;
	const xtol = opts.xtol ?? 1e-12;
	const maxStep = opts.maxStep ?? 4;
	const bound = opts.bound ?? 500;
	let { rw, rl } = start;
	let f = loss.value(rw, rl, p);
	for (let it = 0; it < maxIter; it++) {
		const [gw, gl] = loss.grad(rw, rl, p);
		const [[a, b], [, d]] = loss.hessian(rw, rl, p);
		const det = a * d - b * b;
		// Newton direction when the Hessian is positive definite; steepest descent otherwise (singular margin
		// losses and non-convex user losses).
		let sw: number;
		let sl: number;
		if (a > 0 && det > 1e-14 * (a * d + b * b)) {
			sw = -(d * gw - b * gl) / det;
			sl = -(a * gl - b * gw) / det;
		} else {
			sw = -gw;
			sl = -gl;
		}
		const norm = Math.hypot(sw, sl);
		if (gw === 0 && gl === 0) return { rw, rl, value: f, grad: [gw, gl], iterations: it, converged: true };
		if (Math.hypot(gw, gl) <= gtol && norm <= xtol * (1 + Math.hypot(rw, rl))) {
			return { rw, rl, value: f, grad: [gw, gl], iterations: it, converged: true };
		}
		if (norm > maxStep) {
			sw *= maxStep / norm;
			sl *= maxStep / norm;
		}
		const slope = gw * sw + gl * sl;
		let t = 1;
		let accepted = false;
		for (let k = 0; k < 80; k++) {
			const fn = loss.value(rw + t * sw, rl + t * sl, p);
			if (fn <= f + 1e-4 * t * slope) {
				rw += t * sw;
				rl += t * sl;
				f = fn;
				accepted = true;
				break;
			}
			t /= 2;
			if (t * norm <= xtol * (1 + Math.hypot(rw, rl))) break;
		}
		if (!accepted) return { rw, rl, value: f, grad: [gw, gl], iterations: it, converged: true };
		if (Math.hypot(rw, rl) > bound) {
			return { rw, rl, value: f, grad: loss.grad(rw, rl, p), iterations: it + 1, converged: false };
		}
	}
	return { rw, rl, value: f, grad: loss.grad(rw, rl, p), iterations: maxIter, converged: false };
}
