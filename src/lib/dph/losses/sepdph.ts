/**
 * Separable DPH (paper eq. 5): each reward is pushed towards its own label-smoothed target, preferred up and
 * dispreferred down, independently of the other.
 */
import { logSigmoid as tfLogSigmoid } from '../tfops';
import type { EpsParams } from './common';
import { defineSeparableLoss, divergesApart, epsSpec } from './define';
import { binaryEntropy, logit, sigmoid, sigmoidPrime, smoothedLogistic, smoothedLogisticD1 } from './stable';

export const sepdph = defineSeparableLoss<EpsParams>({
	name: 'sepdph',
	title: 'Separable DPH',
	tex: String.raw`\mathcal{L}_{\text{SepDPH}} = -\big[(1-\varepsilon)\log\sigma(r_w) + \varepsilon\log\sigma(-r_w)\big] - \big[\varepsilon\log\sigma(r_l) + (1-\varepsilon)\log\sigma(-r_l)\big]`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = \varepsilon - \frac{1}{e^{r_w}+1},\qquad \frac{\partial\mathcal{L}}{\partial r_l} = \frac{1}{e^{-r_l}+1} - \varepsilon`,
	description:
		'Binary cross-entropy on each reward with labels smoothed to 1−ε (preferred) and ε (dispreferred). ' +
		'Theorem 1: convex, minimised at r_w* = log((1−ε)/ε), r_l* = −r_w*; ε = 0 has no finite minimiser. ' +
		'The reference code (DPHLoss, contrastive=False) computes mean BCE(r_w, 1−ε) + mean BCE(r_l, ε) over the batch, ' +
		'which is the batch mean of this per-pair loss: no factor difference from eq. 5.',
	params: [
		epsSpec('label smoothing: the target probability of the wrong label; sets the reward targets ±log((1−ε)/ε)'),
	],
	w: {
		value: (x, p) => smoothedLogistic(x, p.eps),
		d1: (x, p) => smoothedLogisticD1(x, p.eps),
		d2: (x) => sigmoidPrime(x),
	},
	// The dispreferred term is the preferred one mirrored: ℓ_ε(−r_l), so ∂/∂r_l = σ(r_l) − ε.
	l: {
		value: (x, p) => smoothedLogistic(-x, p.eps),
		d1: (x, p) => sigmoid(x) - p.eps,
		d2: (x) => sigmoidPrime(x),
	},
	tensorW: (tf, rw, { eps }) =>
		tf.sub(tf.mul(-(1 - eps), tfLogSigmoid(tf, rw)), tf.mul(eps, tfLogSigmoid(tf, tf.neg(rw)))),
	tensorL: (tf, rl, { eps }) =>
		tf.sub(tf.mul(-eps, tfLogSigmoid(tf, rl)), tf.mul(1 - eps, tfLogSigmoid(tf, tf.neg(rl)))),
	convex: () => true,
	optimum({ eps }) {
		if (eps === 0) {
			return divergesApart(
				'with ε = 0 both terms are plain logistic losses that only approach 0 as r_w → ∞ and r_l → −∞',
				{ along: 'rewards' },
			);
		}
		const r = logit(1 - eps);
		return {
			kind: 'point',
			rw: r,
			rl: -r,
			value: 2 * binaryEntropy(eps),
			closedForm: true,
			note: 'Theorem 1: r_w* = log((1−ε)/ε), r_l* = log(ε/(1−ε)); the minimum value is 2·H(ε)',
		};
	},
});
