/**
 * First-order optimizers over one flat Float64Array of parameters, for the reward dynamics. LaProp is the
 * training LaProp's rule (train/laprop-rule.ts) in float64.
 */
import { type LaPropClock, lapropStep64, tickLaProp } from '../train/laprop-rule';
import { invalid, num } from './check';

export type OptimizerName = 'sgd' | 'adam' | 'laprop';

export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam', 'laprop'];

export interface OptimizerOptions {
	lr: number;
	/** Momentum decay; default 0.9 (the paper's LaProp β1). Ignored by SGD. */
	beta1?: number;
	/** Second-moment decay; default 0.95 (the paper's LaProp β2; Adam gets the same so the two compare fairly). */
	beta2?: number;
	/** Denominator guard; default 1e-8 (the reference config's opt_eps). */
	eps?: number;
}

/** A first-order optimizer over one flat Float64Array of parameters, updated in place. */
export interface Optimizer {
	readonly name: OptimizerName;
	/** Number of steps taken. */
	readonly t: number;
	step(params: Float64Array, grad: Float64Array): void;
}

/**
 * SGD: p ← p − lr·g.
 *
 * Adam (Kingma & Ba; PyTorch's torch.optim.Adam without weight decay):
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps).
 *
 * LaProp (Ziyin et al. 2020), transcribed from the reference implementation (direct-preference-heads,
 * src/optimizer/laprop.py, without weight decay, centering or amsgrad): the gradient is normalised by the RMS of
 * past gradients FIRST and momentum then averages the normalised steps — the reverse of Adam, which normalises
 * the momentum:
 *   v ← β2·v + (1−β2)·g²
 *   u ← g / (√v + eps) · √(1−β2ᵗ)             (bias-corrected RMS normalisation; eps sits outside the correction)
 *   m ← β1·m + (1−β1)·lr·u                     (the learning rate is folded into the momentum buffer)
 *   ā ← β1·ā + (1−β1)·lr                       (running mean of the learning rate, starting at 0)
 *   p ← p − m / (ā / lr)                       (ā/lr = 1 − β1ᵗ for a constant learning rate)
 */
export function createOptimizer(name: OptimizerName, size: number, opts: OptimizerOptions): Optimizer {
	const { lr } = opts;
	const beta1 = opts.beta1 ?? 0.9;
	const beta2 = opts.beta2 ?? 0.95;
	const eps = opts.eps ?? 1e-8;
	checkOptimizer(name, lr, beta1, beta2, eps);
	const m = new Float64Array(name === 'sgd' ? 0 : size);
	const v = new Float64Array(name === 'sgd' ? 0 : size);
	let t = 0;
	const clock: LaPropClock = { step: 0, expAvgLr: 0 };
	const hyper = { lr, beta1, beta2, eps };
	const checkSizes = (params: Float64Array, grad: Float64Array) => {
		if (params.length !== size || grad.length !== size)
			throw new RangeError(
				`optimizer was created for ${size} parameters, got params ${params.length} and grad ${grad.length}`,
			);
	};
	// The update rule by optimizer; `t` is already the new step count when it runs.
	const sgd = (params: Float64Array, grad: Float64Array) => {
		for (let i = 0; i < size; i++) params[i] -= lr * grad[i];
	};
	const adam = (params: Float64Array, grad: Float64Array) => {
		const bc1 = 1 - beta1 ** t;
		const sqrtBc2 = Math.sqrt(1 - beta2 ** t);
		const stepSize = lr / bc1;
		for (let i = 0; i < size; i++) {
			const g = grad[i];
			m[i] = beta1 * m[i] + (1 - beta1) * g;
			v[i] = beta2 * v[i] + (1 - beta2) * g * g;
			params[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + eps);
		}
	};
	const laprop = (params: Float64Array, grad: Float64Array) =>
		lapropStep64(params, grad, m, v, hyper, tickLaProp(clock, lr, beta1, beta2));
	const update = name === 'sgd' ? sgd : name === 'adam' ? adam : laprop;
	return {
		name,
		get t() {
			return t;
		},
		step(params, grad) {
			checkSizes(params, grad);
			t++;
			update(params, grad);
		},
	};
}

function checkOptimizer(name: string, lr: number, beta1: number, beta2: number, eps: number): void {
	if (!(OPTIMIZERS as readonly string[]).includes(name))
		invalid('optimizer', name, `optimizers are ${OPTIMIZERS.join(', ')}`);
	num('lr', lr, (x) => x > 0, 'lr > 0 (finite)');
	num('beta1', beta1, (x) => x >= 0 && x < 1, '0 ≤ beta1 < 1');
	num('beta2', beta2, (x) => x >= 0 && x < 1, '0 ≤ beta2 < 1');
	num('optEps', eps, (x) => x > 0, 'optEps > 0 (finite)');
}
