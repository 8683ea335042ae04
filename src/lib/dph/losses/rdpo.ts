/**
 * Robust DPO (Chowdhury et al. 2024, "Provably Robust DPO"): the unbiased correction for labels flipped at a
 * known rate ε < ½, L = [(1−ε)·DPO(w, l) − ε·DPO(l, w)] / (1 − 2ε). Its expectation over flips at rate ε equals
 * the clean DPO loss (see expectedUnderNoise), which is the point of the construction.
 *
 * Because DPO(l, w) − DPO(w, l) = Δ exactly, L = −log σ(Δ) − ε/(1−2ε)·Δ: DPO plus a linear term. So it IS convex
 * in the rewards (Hessian σ'(Δ)·[[1,−1],[−1,1]], the same as DPO's — it is not the Hessian that misbehaves), but
 * for ε > 0 it is unbounded below: dL/dΔ = −σ(−Δ) − ε/(1−2ε) < 0 everywhere, and L → −∞ linearly as Δ → ∞.
 * On a single pair there is no optimum; robustness only holds in expectation over a noisy data set and with
 * a parametric model that cannot separate every pair.
 */
import { logSigmoid as tfLogSigmoid } from '../tfops';
import type { EpsParams } from './common';
import { defineMarginLoss, divergesApart, epsSpec } from './define';
import { sigmoid, sigmoidPrime, softplus } from './stable';

export const rdpo = defineMarginLoss<EpsParams>({
	name: 'rdpo',
	title: 'Robust DPO (rDPO)',
	tex: String.raw`\mathcal{L}_{\text{rDPO}} = \frac{(1-\varepsilon)\,\big(-\log\sigma(r_w - r_l)\big) - \varepsilon\,\big(-\log\sigma(r_l - r_w)\big)}{1 - 2\varepsilon}`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = -\sigma(r_l - r_w) - \frac{\varepsilon}{1-2\varepsilon}`,
	description:
		'Unbiased noisy-label correction of DPO for a known flip rate ε ∈ [0, ½) (undefined at ½). Equals ' +
		'−log σ(Δ) − ε/(1−2ε)·Δ: convex, but for ε > 0 unbounded below as the margin grows; at ε = 0 it is DPO. ' +
		'Inputs are implicit rewards (already ×β).',
	params: [
		epsSpec('assumed label-flip rate; the correction divides by 1 − 2ε, so ε = ½ is excluded', { openAtHalf: true }),
	],
	f: {
		// The linear form avoids the cancellation of two large softplus terms for large |Δ|.
		value: (x, { eps }) => softplus(-x) - (eps / (1 - 2 * eps)) * x,
		d1: (x, { eps }) => -sigmoid(-x) - eps / (1 - 2 * eps),
		d2: (x) => sigmoidPrime(x),
	},
	tensorF: (tf, d, { eps }) =>
		tf.div(tf.add(tf.mul(-(1 - eps), tfLogSigmoid(tf, d)), tf.mul(eps, tfLogSigmoid(tf, tf.neg(d)))), 1 - 2 * eps),
	convex: () => true,
	optimum: ({ eps }) =>
		eps === 0
			? divergesApart('at ε = 0 rDPO is DPO: −log σ(Δ) only approaches 0 as Δ → ∞')
			: divergesApart(
					`dL/dΔ < −ε/(1−2ε) = ${-(eps / (1 - 2 * eps))} everywhere: the loss decreases linearly without bound as the margin grows`,
					{ infimum: Number.NEGATIVE_INFINITY },
				),
});
