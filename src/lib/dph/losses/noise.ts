/**
 * Preference labels flipped at rate η: the expected loss of a pair is (1−η)·L(r_w, r_l) + η·L(r_l, r_w).
 * `withLabelNoise` wraps any loss into that expectation as a loss of its own, keeping its margin/separable
 * structure (so its landscape is as fast) and finding its optimum numerically. E.g. DPO under noise η is
 * exactly ConDPH/cDPO with ε = η, and rDPO(ε) under noise η = ε is exactly DPO — the tests check both.
 */
import { minimise } from './optimize';
import { type Fn1D, type Grad, LossParamError, type LossParams, type Optimum, type PreferenceLoss } from './types';

function checkEta(eta: number): void {
	if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1)) {
		throw new LossParamError(`eta = ${String(eta)} is out of range: valid 0 ≤ eta ≤ 1`, 'eta', eta);
	}
}

/** (1−η)·L(r_w, r_l) + η·L(r_l, r_w). */
export function expectedUnderNoise<P extends LossParams>(
	loss: PreferenceLoss<P>,
	rw: number,
	rl: number,
	eta: number,
	p: P,
): number {
	checkEta(eta);
	return (1 - eta) * loss.value(rw, rl, p) + eta * loss.value(rl, rw, p);
}

/** Gradient of expectedUnderNoise with respect to (r_w, r_l). */
export function expectedGradUnderNoise<P extends LossParams>(
	loss: PreferenceLoss<P>,
	rw: number,
	rl: number,
	eta: number,
	p: P,
): Grad {
	checkEta(eta);
	const [a1, a2] = loss.grad(rw, rl, p);
	const [b1, b2] = loss.grad(rl, rw, p);
	// In L(r_l, r_w), r_w sits in the second slot.
	return [(1 - eta) * a1 + eta * b2, (1 - eta) * a2 + eta * b1];
}

function mix<P>(a: Fn1D<P>, b: Fn1D<P>, eta: number, mirror: boolean): Fn1D<P> {
	// mirror: b is evaluated at −x (margin losses: L(r_l, r_w) = f(−Δ)); chain rule flips odd derivatives.
	const s = mirror ? -1 : 1;
	return {
		value: (x, p) => (1 - eta) * a.value(x, p) + eta * b.value(s * x, p),
		d1: (x, p) => (1 - eta) * a.d1(x, p) + eta * s * b.d1(s * x, p),
		d2: (x, p) => (1 - eta) * a.d2(x, p) + eta * b.d2(s * x, p),
	};
}

/**
 * The expected loss under flip rate η as a PreferenceLoss (name `<loss>@eta=<η>`). Its optimum is the base
 * loss's at η = 0 and otherwise found numerically (closedForm: false); 'diverges' when the minimiser runs away.
 */
export function withLabelNoise<P extends LossParams>(loss: PreferenceLoss<P>, eta: number): PreferenceLoss<P> {
	checkEta(eta);
	const s = loss.structure;
	const structure: PreferenceLoss<P>['structure'] =
		s.kind === 'margin'
			? { kind: 'margin', f: mix(s.f, s.f, eta, true) }
			: s.kind === 'separable'
				? { kind: 'separable', w: mix(s.w, s.l, eta, false), l: mix(s.l, s.w, eta, false) }
				: { kind: 'none' };
	const noisy: PreferenceLoss<P> = {
		name: `${loss.name}@eta=${eta}`,
		title: `${loss.title} under label noise η = ${eta}`,
		tex: String.raw`(1-\eta)\,\mathcal{L}(r_w, r_l) + \eta\,\mathcal{L}(r_l, r_w),\ \eta = ${eta},\ \mathcal{L}: ${loss.tex}`,
		gradTex: String.raw`(1-\eta)\,\nabla\mathcal{L}(r_w, r_l) + \eta\,\nabla\mathcal{L}(r_l, r_w)`,
		description: `Expected ${loss.title} loss when a fraction η = ${eta} of preference labels is flipped.`,
		params: loss.params,
		structure,
		validate: (p, opts) => loss.validate(p, opts),
		// A mixture of convex functions (the swap is linear) is convex.
		convex: (p) => loss.convex(p),
		value: (rw, rl, p) => (1 - eta) * loss.value(rw, rl, p) + eta * loss.value(rl, rw, p),
		grad: (rw, rl, p) => expectedGradUnderNoise(loss, rw, rl, eta, p),
		hessian(rw, rl, p) {
			const [[a, b], [, d]] = loss.hessian(rw, rl, p);
			const [[a2, b2], [, d2]] = loss.hessian(rl, rw, p);
			const hw = (1 - eta) * a + eta * d2;
			const hwl = (1 - eta) * b + eta * b2;
			const hl = (1 - eta) * d + eta * a2;
			return [
				[hw, hwl],
				[hwl, hl],
			];
		},
		optimum(p): Optimum {
			if (eta === 0) return loss.optimum(p);
			const m = minimise(noisy, p, { rw: 0, rl: 0 });
			if (!m.converged) {
				const towards = normalise([m.rw, m.rl]);
				// Probe far along the escape direction: a finite limit (e.g. 0 for DPO-like tails) shows up as is,
				// a linear decrease (rDPO) as a huge negative number, reported as −∞.
				const far = noisy.value(1e12 * towards[0], 1e12 * towards[1], p);
				return {
					kind: 'diverges',
					direction: `(r_w, r_l) → ∞·(${towards[0].toFixed(3)}, ${towards[1].toFixed(3)})`,
					towards,
					reason: `under label noise η = ${eta} the numeric minimiser ran away (reached r_w = ${m.rw.toPrecision(4)}, r_l = ${m.rl.toPrecision(4)})`,
					infimum: far < -1e9 ? Number.NEGATIVE_INFINITY : Math.min(far, m.value),
				};
			}
			if (structure.kind === 'margin') {
				return { kind: 'margin', margin: m.rw - m.rl, value: m.value, closedForm: false };
			}
			return { kind: 'point', rw: m.rw, rl: m.rl, value: m.value, closedForm: false };
		},
		batch(rw, rl, p, out) {
			const n = rw.length;
			for (let i = 0; i < n; i++) {
				out.loss[i] = noisy.value(rw[i], rl[i], p);
				if (out.drw || out.drl) {
					const [gw, gl] = noisy.grad(rw[i], rl[i], p);
					if (out.drw) out.drw[i] = gw;
					if (out.drl) out.drl[i] = gl;
				}
			}
		},
		tensor: (tf, rw, rl, p) =>
			tf.tidy(() => tf.add(tf.mul(1 - eta, loss.tensor(tf, rw, rl, p)), tf.mul(eta, loss.tensor(tf, rl, rw, p)))),
	};
	return noisy;
}

function normalise(v: [number, number]): [number, number] {
	const n = Math.hypot(v[0], v[1]);
	return n > 0 ? [v[0] / n, v[1] / n] : [0, 0];
}
