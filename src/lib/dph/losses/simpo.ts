/**
 * SimPO (Meng et al. 2024): reference-free, length-normalised rewards r = (β/|y|)·log π_θ(y|x) and a target margin γ.
 * In the (r_w, r_l) plane the inputs are those length-normalised rewards (already ×β/|y|).
 */
import { logisticTensor } from './common';
import { defineMarginLoss, divergesApart } from './define';
import { sigmoid, sigmoidPrime, softplus } from './stable';

export type GammaParams = { gamma: number };

export const simpo = defineMarginLoss<GammaParams>({
	name: 'simpo',
	title: 'SimPO',
	tex: String.raw`\mathcal{L}_{\text{SimPO}} = -\log\sigma\big(r_w - r_l - \gamma\big),\quad r = \frac{\beta}{|y|}\log\pi_\theta(y\mid x)`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = -\sigma(\gamma + r_l - r_w)`,
	description:
		'DPO’s logistic loss on length-normalised, reference-free rewards, shifted by a target margin γ ≥ 0. The shift ' +
		'moves where the loss is steep but not its limit: like DPO it has no finite minimiser (the margin diverges).',
	params: [
		{
			name: 'gamma',
			symbol: '\\gamma',
			min: 0,
			max: Number.POSITIVE_INFINITY,
			minInclusive: true,
			maxInclusive: false,
			default: 0.5,
			description: 'target reward margin γ (SimPO uses γ/β ≈ 0.5 with β ≈ 2)',
			ui: { min: 0, max: 4, step: 0.05 },
		},
	],
	f: {
		value: (x, { gamma }) => softplus(gamma - x),
		d1: (x, { gamma }) => -sigmoid(gamma - x),
		d2: (x, { gamma }) => sigmoidPrime(x - gamma),
	},
	tensorF: (tf, d, { gamma }) => logisticTensor(tf, tf.sub(d, gamma)),
	convex: () => true,
	optimum: () =>
		divergesApart('−log σ(Δ − γ) is strictly decreasing in Δ; γ only shifts it, the infimum 0 is approached as Δ → ∞'),
});
