/**
 * Binary Classifier Optimization (Jung et al. 2024): each implicit reward is classified on its own, preferred as
 * positive and dispreferred as negative, after a reward shift δ:
 *   L = −log σ(r_w − δ) − log σ(−(r_l − δ)).
 * In BCO, δ is a running mean of the rewards, (mean r_w + mean r_l)/2 over recent batches; here it is a parameter
 * so the landscape can be drawn for any shift. Separable, like SepDPH at ε = 0 recentred on δ.
 */
import { logisticTensor } from './common';
import { defineSeparableLoss, divergesApart } from './define';
import { sigmoid, sigmoidPrime, softplus } from './stable';

export type ShiftParams = { delta: number };

export const bco = defineSeparableLoss<ShiftParams>({
	name: 'bco',
	title: 'BCO (binary classifier, reward shift δ)',
	tex: String.raw`\mathcal{L}_{\text{BCO}} = -\log\sigma(r_w - \delta) - \log\sigma\big(-(r_l - \delta)\big)`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\sigma(\delta - r_w),\qquad \frac{\partial\mathcal{L}}{\partial r_l} = \sigma(r_l - \delta)`,
	description:
		'Two independent logistic losses on implicit rewards (already ×β) around the shift δ, which BCO sets to a running ' +
		'mean of the rewards. Convex and separable, but with no finite minimiser: r_w → +∞ and r_l → −∞.',
	params: [
		{
			name: 'delta',
			symbol: '\\delta',
			min: Number.NEGATIVE_INFINITY,
			max: Number.POSITIVE_INFINITY,
			minInclusive: false,
			maxInclusive: false,
			default: 0,
			description: 'reward shift δ (in BCO a running mean of the rewards)',
			ui: { min: -4, max: 4, step: 0.05 },
		},
	],
	w: {
		value: (x, { delta }) => softplus(delta - x),
		d1: (x, { delta }) => -sigmoid(delta - x),
		d2: (x, { delta }) => sigmoidPrime(x - delta),
	},
	l: {
		value: (x, { delta }) => softplus(x - delta),
		d1: (x, { delta }) => sigmoid(x - delta),
		d2: (x, { delta }) => sigmoidPrime(x - delta),
	},
	tensorW: (tf, rw, { delta }) => logisticTensor(tf, tf.sub(rw, delta)),
	tensorL: (tf, rl, { delta }) => logisticTensor(tf, tf.sub(delta, rl)),
	convex: () => true,
	optimum: ({ delta }) =>
		divergesApart(`each term is a logistic loss around δ = ${delta} that only reaches 0 as r_w → ∞ and r_l → −∞`, {
			along: 'rewards',
		}),
});
