/**
 * Bradley–Terry reward-model loss: the negative log-likelihood of P(y_w ≻ y_l) = σ(r_w − r_l) for an explicit
 * reward model. The same function as DPO and as ConDPH at ε = 0; only the meaning of r differs.
 */
import { defineMarginLoss, divergesApart } from './define';
import { dpoSpec } from './dpo';
import type { NoParams } from './types';

export const bt = defineMarginLoss<NoParams>({
	...dpoSpec,
	name: 'bt',
	title: 'Bradley–Terry reward model',
	tex: String.raw`\mathcal{L}_{\text{BT}} = -\log\sigma(r_w - r_l)`,
	description:
		'Maximum-likelihood reward modelling under the Bradley–Terry model (the RLHF reward-model stage). Equal to ConDPH ' +
		'with ε = 0: convex, but the margin diverges on separable data, so reward models need early stopping or regularisation.',
	optimum: () => divergesApart('−log σ(Δ) only reaches its infimum 0 as the margin Δ → ∞ (ConDPH with ε = 0)'),
});
