/** Direct Preference Optimization (paper eq. 2; Rafailov et al. 2023) on implicit rewards. */
import { logisticFn, logisticTensor } from './common';
import { defineMarginLoss, divergesApart, type MarginLossSpec } from './define';
import type { NoParams } from './types';

/** DPO's definition; Bradley–Terry (bt.ts) is the same function with other metadata. */
export const dpoSpec: MarginLossSpec<NoParams> = {
	name: 'dpo',
	title: 'DPO',
	tex: String.raw`\mathcal{L}_{\text{DPO}} = -\log\sigma(r_w - r_l),\quad r = \beta\log\frac{\pi_\theta(y\mid x)}{\pi_{\text{ref}}(y\mid x)}`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = -\sigma(r_l - r_w)`,
	description:
		'Inputs are implicit rewards r = β·log(π_θ/π_ref), already multiplied by β, so β does not appear. Convex in the ' +
		'rewards but with no finite minimiser: the loss keeps falling as the margin grows, which is why DPO overfits ' +
		'deterministic or noisy preferences (cDPO, IPO and the DPH losses fix a finite target margin).',
	params: [],
	f: logisticFn,
	tensorF: (tf, d) => logisticTensor(tf, d),
	convex: () => true,
	optimum: () => divergesApart('−log σ(Δ) is strictly decreasing in Δ and only reaches its infimum 0 as Δ → ∞'),
};

export const dpo = defineMarginLoss<NoParams>(dpoSpec);
