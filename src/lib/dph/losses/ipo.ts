/**
 * Identity Preference Optimization (Azar et al. 2023): a squared loss that regresses the log-ratio margin onto a
 * finite target instead of pushing it to infinity.
 *
 * Convention. IPO is defined on unscaled log-ratios h = log(π(y_w)/π_ref(y_w)) − log(π(y_l)/π_ref(y_l)):
 * L = (h − 1/(2β))² (β is IPO's τ; TRL's loss_type="ipo"). To share the (r_w, r_l) plane with the other losses
 * the inputs here are implicit rewards r = β·log(π/π_ref), so h = (r_w − r_l)/β and
 * L = ((r_w − r_l)/β − 1/(2β))² = (r_w − r_l − ½)²/β². The optimum is the line r_w − r_l = ½ in reward units,
 * i.e. h* = 1/(2β) in log-ratio units.
 */
import { defineMarginLoss } from './define';

export type BetaParams = { beta: number };

export const ipo = defineMarginLoss<BetaParams>({
	name: 'ipo',
	title: 'IPO',
	tex: String.raw`\mathcal{L}_{\text{IPO}} = \Big(h - \frac{1}{2\beta}\Big)^2,\quad h = \frac{r_w - r_l}{\beta} = \log\frac{\pi_\theta(y_w)}{\pi_{\text{ref}}(y_w)} - \log\frac{\pi_\theta(y_l)}{\pi_{\text{ref}}(y_l)}`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = \frac{2}{\beta}\Big(h - \frac{1}{2\beta}\Big)`,
	description:
		'Squared regression of the log-ratio margin h = (r_w − r_l)/β onto 1/(2β). Inputs are implicit rewards (already ×β). ' +
		'Convex (Hessian 2/β² · [[1,−1],[−1,1]]), minimised on the line r_w − r_l = ½, with minimum 0. Unlike the logistic ' +
		'losses its gradient grows without bound away from the target.',
	params: [
		{
			name: 'beta',
			symbol: '\\beta',
			min: 0,
			max: Number.POSITIVE_INFINITY,
			minInclusive: false,
			maxInclusive: false,
			default: 0.6,
			description: 'IPO regularisation τ = β; the log-ratio target is 1/(2β). Default 0.6, the paper’s DPO β',
			ui: { min: 0.05, max: 2, step: 0.05 },
		},
	],
	f: {
		value: (x, { beta }) => {
			const h = x / beta - 1 / (2 * beta);
			return h * h;
		},
		d1: (x, { beta }) => (2 / beta) * (x / beta - 1 / (2 * beta)),
		d2: (_x, { beta }) => 2 / (beta * beta),
	},
	tensorF: (tf, d, { beta }) => tf.square(tf.sub(tf.div(d, beta), 1 / (2 * beta))),
	convex: () => true,
	optimum: () => ({
		kind: 'margin',
		margin: 0.5,
		value: 0,
		closedForm: true,
		note: 'r_w − r_l = ½ in implicit-reward units, i.e. a log-ratio margin h* = 1/(2β)',
	}),
});
