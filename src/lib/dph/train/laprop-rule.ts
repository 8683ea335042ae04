/**
 * The LaProp rule on plain numbers (the update itself is documented in laprop.ts): the per-parameter clock and
 * bias corrections, which the tfjs LaProp (float32 tensors) and the reward dynamics' optimizer (float64 typed
 * arrays) share, and the float64 step without weight decay. The two kernels differ only in precision; the
 * dynamics tests check that they give the same trajectory.
 */

/** A parameter's clock: steps taken and ā, the running mean of the learning rate (both 0 before the first step). */
export interface LaPropClock {
	step: number;
	expAvgLr: number;
}

export interface LaPropCorrections {
	/** ā/lr: 1 − β1ᵗ under a constant learning rate; 1 when lr = 0. */
	bc1: number;
	/** √(1 − β2ᵗ). */
	sqrtBc2: number;
}

/** Advances `clock` by one step at learning rate `lr` and returns that step's bias corrections. */
export function tickLaProp(clock: LaPropClock, lr: number, beta1: number, beta2: number): LaPropCorrections {
	clock.step += 1;
	clock.expAvgLr = clock.expAvgLr * beta1 + (1 - beta1) * lr;
	return { bc1: lr !== 0 ? clock.expAvgLr / lr : 1, sqrtBc2: Math.sqrt(1 - beta2 ** clock.step) };
}

export interface LaPropHyper {
	lr: number;
	beta1: number;
	beta2: number;
	eps: number;
}

/**
 * One LaProp step in float64, in place: `params` moves, `expAvg` (m) and `expAvgSq` (v) are the state. Call
 * tickLaProp first for `c`.
 */
export function lapropStep64(
	params: Float64Array,
	grad: Float64Array,
	expAvg: Float64Array,
	expAvgSq: Float64Array,
	h: LaPropHyper,
	c: LaPropCorrections,
): void {
	const { lr, beta1, beta2, eps } = h;
	const { bc1, sqrtBc2 } = c;
	for (let i = 0; i < params.length; i++) {
		const g = grad[i];
		expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
		const u = (g / (Math.sqrt(expAvgSq[i]) + eps)) * sqrtBc2;
		expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * lr * u;
		params[i] -= expAvg[i] / bc1;
	}
}
