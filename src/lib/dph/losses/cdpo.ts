/**
 * Conservative DPO (paper eq. 3; Mitchell 2023): DPO with the preference label flipped with probability ε,
 * i.e. (1−ε)·DPO(y_w, y_l) + ε·DPO(y_l, y_w). On implicit rewards r = β·log(π/π_ref) this is the same function
 * of the margin as ConDPH — the paper's "relation to cDPO".
 */
import { type EpsParams, smoothedLogisticFn, smoothedLogisticTensor } from './common';
import { defineMarginLoss, epsSpec, smoothedMarginOptimum } from './define';
import { binaryEntropy, logit } from './stable';

export const cdpo = defineMarginLoss<EpsParams>({
	name: 'cdpo',
	title: 'Conservative DPO (cDPO)',
	tex: String.raw`\mathcal{L}_{\text{cDPO}} = (1-\varepsilon)\,\mathcal{L}_{\text{DPO}}(r_w, r_l) + \varepsilon\,\mathcal{L}_{\text{DPO}}(r_l, r_w) = -(1-\varepsilon)\log\sigma(r_w - r_l) - \varepsilon\log\sigma(r_l - r_w),\quad r = \beta\log\frac{\pi_\theta(y\mid x)}{\pi_{\text{ref}}(y\mid x)}`,
	gradTex: String.raw`\frac{\partial\mathcal{L}}{\partial r_w} = -\frac{\partial\mathcal{L}}{\partial r_l} = \varepsilon - \frac{1}{e^{r_w - r_l}+1}`,
	description:
		'Inputs are implicit rewards already multiplied by β (summed log-ratios against the frozen reference, as in the ' +
		'reference DPOLoss with label_smoothing = ε). The optimal implicit-reward margin is log((1−ε)/ε), i.e. a ' +
		'log-ratio margin of log((1−ε)/ε)/β. The paper trains with β = 0.6, ε = 0.25.',
	params: [epsSpec('label smoothing: assumed probability that a preference label is flipped', { default: 0.25 })],
	f: smoothedLogisticFn,
	tensorF: (tf, d, { eps }) => smoothedLogisticTensor(tf, d, eps),
	convex: () => true,
	optimum: ({ eps }) => smoothedMarginOptimum(eps, logit, binaryEntropy),
});
