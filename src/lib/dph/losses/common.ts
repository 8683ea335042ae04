/** 1-D building blocks shared by several losses (the logistic loss and its ε-smoothed form). */
import { logSigmoid as tfLogSigmoid } from '../tfops';
import { sigmoid, sigmoidPrime, smoothedLogistic, smoothedLogisticD1, softplus } from './stable';
import type { Fn1D, LossParams, Tensor, TFModule } from './types';

export type EpsParams = { eps: number };

/** −log σ(x) = softplus(−x), the Bradley–Terry / DPO negative log-likelihood of a margin x. */
export const logisticFn: Fn1D<LossParams> = {
	value: (x) => softplus(-x),
	d1: (x) => -sigmoid(-x),
	d2: (x) => sigmoidPrime(x),
};

/** ℓ_ε(x) = −(1−ε) log σ(x) − ε log σ(−x): the logistic loss with labels smoothed to 1 − ε. */
export const smoothedLogisticFn: Fn1D<EpsParams> = {
	value: (x, p) => smoothedLogistic(x, p.eps),
	d1: (x, p) => smoothedLogisticD1(x, p.eps),
	d2: (x) => sigmoidPrime(x),
};

/** −log σ(x) on tensors, via the stable tfops.logSigmoid (tf.logSigmoid's gradient is broken in tfjs 4.22). */
export function logisticTensor(tf: TFModule, x: Tensor): Tensor {
	return tf.neg(tfLogSigmoid(tf, x));
}

/** ℓ_ε on tensors, written exactly as the paper's eq. 6 / eq. 3 so the code reads like the formula. */
export function smoothedLogisticTensor(tf: TFModule, x: Tensor, eps: number): Tensor {
	return tf.sub(tf.mul(-(1 - eps), tfLogSigmoid(tf, x)), tf.mul(eps, tfLogSigmoid(tf, tf.neg(x))));
}
