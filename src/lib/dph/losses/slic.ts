/**
 * SLiC / hinge loss (Zhao et al. 2023; TRL loss_type="hinge" is relu(1 − β·h)): zero once the margin exceeds δ.
 *
 * Inputs are implicit rewards (already ×β), so the default δ = 1 is TRL's hinge, a log-ratio margin of 1/β.
 * The loss is not differentiable at Δ = δ; grad() returns the subgradient 0 there (the one-sided derivative from
 * the flat side, which is also what tf.relu's gradient uses), and the Hessian is 0 everywhere it exists.
 */
import { defineMarginLoss } from './define';

export type DeltaParams = { delta: number };

export const slic = defineMarginLoss<DeltaParams>({
	name: 'slic',
	title: 'SLiC (hinge)',
	tex: String.raw`\mathcal{L}_{\text{SLiC}} = \max\big(0,\ \delta - (r_w - r_l)\big)`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = \begin{cases} -1 & r_w - r_l < \delta \\ 0 & r_w - r_l \ge \delta \end{cases}`,
	description:
		'Hinge on the implicit-reward margin. Convex and piecewise linear: constant gradient (−1, 1) below the margin δ, ' +
		'exactly zero above it, so every pair with r_w − r_l ≥ δ is optimal (a half-plane of minimisers, not a point). ' +
		'Its gradient does not shrink as the margin is approached, unlike the logistic losses.',
	params: [
		{
			name: 'delta',
			symbol: '\\delta',
			min: 0,
			max: Number.POSITIVE_INFINITY,
			minInclusive: true,
			maxInclusive: false,
			default: 1,
			description: 'hinge margin in implicit-reward units (δ = 1 ⇔ a log-ratio margin of 1/β)',
			ui: { min: 0, max: 4, step: 0.05 },
		},
	],
	f: {
		value: (x, { delta }) => Math.max(0, delta - x),
		d1: (x, { delta }) => (x < delta ? -1 : 0),
		d2: () => 0,
	},
	tensorF: (tf, d, { delta }) => tf.relu(tf.sub(delta, d)),
	convex: () => true,
	optimum: ({ delta }) => ({
		kind: 'set',
		description: `every pair with r_w − r_l ≥ ${delta}: the half-plane where the hinge is flat at 0`,
		marginMin: delta,
		value: 0,
		closedForm: true,
	}),
});
