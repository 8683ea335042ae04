/**
 * Contrastive DPH (paper eq. 6): label-smoothed logistic loss on the reward margin Δ = r_w − r_l. Only the
 * margin is learned; the common offset of the two rewards is free.
 */
import { type EpsParams, smoothedLogisticFn, smoothedLogisticTensor } from './common';
import { defineMarginLoss, epsSpec, smoothedMarginOptimum } from './define';
import { binaryEntropy, logit } from './stable';

export const condph = defineMarginLoss<EpsParams>({
	name: 'condph',
	title: 'Contrastive DPH',
	tex: String.raw`\mathcal{L}_{\text{ConDPH}} = -(1-\varepsilon)\log\sigma(r_w - r_l) - \varepsilon\log\sigma(r_l - r_w)`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_\Delta} = \varepsilon - \frac{1}{e^{r_\Delta}+1},\quad r_\Delta = r_w - r_l,\quad \frac{\partial\mathcal{L}}{\partial r_l} = -\frac{\partial\mathcal{L}}{\partial r_w}`,
	description:
		'Logistic loss on the margin with labels smoothed to 1−ε. Theorem 2: convex (Hessian e^Δ/(e^Δ+1)² · [[1,−1],[−1,1]], ' +
		'positive semi-definite, singular along r_w = r_l), minimised on the line r_w − r_l = log((1−ε)/ε). ' +
		'Identical in form to cDPO applied to head rewards instead of implicit rewards; the reference code averages it over the batch.',
	params: [epsSpec('label smoothing; sets the optimal margin log((1−ε)/ε)')],
	f: smoothedLogisticFn,
	tensorF: (tf, d, { eps }) => smoothedLogisticTensor(tf, d, eps),
	convex: () => true,
	optimum: ({ eps }) => smoothedMarginOptimum(eps, logit, binaryEntropy),
});
