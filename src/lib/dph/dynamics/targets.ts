/** Where a pair's rewards should end up: the optimum of its expected loss under label noise. */
import { getLoss, type LossParams, type Optimum, withLabelNoise } from '../losses/index';
import { invalid } from './check';

/**
 * Flipping labels at rate η turns label smoothing ε into ε' = ε + η − 2εη for the smoothed logistic losses:
 * (1−η)·ℓ_ε(Δ) + η·ℓ_ε(−Δ) weighs −log σ(Δ) by (1−η)(1−ε) + ηε = 1 − ε' and −log σ(−Δ) by ε'. The same holds
 * per reward for SepDPH, whose two terms are ℓ_ε(r_w) and ℓ_ε(−r_l).
 */
export function effectiveEps(eps: number, eta: number): number {
	return eps + eta - 2 * eps * eta;
}

/** log((1−ε)/ε): Theorem 1's r_w* (and −r_l*), Theorem 2's margin; +∞ at ε = 0. */
export function logOdds(eps: number): number {
	return eps === 0 ? Number.POSITIVE_INFINITY : Math.log((1 - eps) / eps);
}

export interface Targets {
	/** Where the per-pair expected loss under noise is minimised (Optimum kinds as in losses/types). */
	kind: Optimum['kind'];
	/** Optimal r_w, or null when only the margin is determined (ConDPH) or the loss has no finite optimum. */
	rw: number | null;
	rl: number | null;
	/** Optimal r_w − r_l (+∞ when it diverges; the lower end of a set; NaN when there is none to draw). */
	margin: number;
	/** Optimal r_w + r_l when it is determined (0 for SepDPH); null when any offset is optimal. */
	sum: number | null;
	/** ε' = ε + η − 2εη for SepDPH/ConDPH; null for other losses. */
	epsEff: number | null;
	closedForm: boolean;
}

/**
 * Optimum of one pair's expected loss (1−η)·L(r_w, r_l) + η·L(r_l, r_w): in closed form for SepDPH (Theorem 1
 * with ε') and ConDPH (Theorem 2 with ε'), numerically (losses/noise.withLabelNoise) for the other losses.
 */
export function theoreticalTargets(lossName: string, params: LossParams = {}, eta = 0): Targets {
	const loss = getLoss(lossName);
	const p = loss.validate(params);
	if (!(eta >= 0 && eta < 0.5)) invalid('eta', eta, '0 ≤ eta < 0.5');
	if (loss.name === 'sepdph' || loss.name === 'condph') {
		const epsEff = effectiveEps(p.eps, eta);
		const r = logOdds(epsEff);
		const diverges = epsEff === 0;
		if (loss.name === 'sepdph') {
			return {
				kind: diverges ? 'diverges' : 'point',
				rw: r,
				rl: -r,
				margin: 2 * r,
				sum: diverges ? null : 0,
				epsEff,
				closedForm: true,
			};
		}
		return {
			kind: diverges ? 'diverges' : 'margin',
			rw: null,
			rl: null,
			margin: r,
			sum: null,
			epsEff,
			closedForm: true,
		};
	}
	const o = withLabelNoise(loss, eta).optimum(p);
	switch (o.kind) {
		case 'point':
			return {
				kind: 'point',
				rw: o.rw,
				rl: o.rl,
				margin: o.rw - o.rl,
				sum: o.rw + o.rl,
				epsEff: null,
				closedForm: o.closedForm,
			};
		case 'margin':
			return {
				kind: 'margin',
				rw: null,
				rl: null,
				margin: o.margin,
				sum: null,
				epsEff: null,
				closedForm: o.closedForm,
			};
		case 'set':
			return {
				kind: 'set',
				rw: null,
				rl: null,
				margin: o.marginMin ?? Number.NaN,
				sum: null,
				epsEff: null,
				closedForm: o.closedForm,
			};
		default: {
			const [tw, tl] = o.towards;
			const inf = (x: number) => (x > 0 ? Number.POSITIVE_INFINITY : x < 0 ? Number.NEGATIVE_INFINITY : 0);
			return { kind: 'diverges', rw: null, rl: null, margin: inf(tw - tl), sum: null, epsEff: null, closedForm: false };
		}
	}
}
