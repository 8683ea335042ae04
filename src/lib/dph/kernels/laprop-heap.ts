/**
 * LaProp's element-wise update (train/laprop.ts) in one pass over the wasm heap. As tfjs ops the update is ~14
 * kernels per parameter (a tiny-model step: ~1 000 kernels, each a dispatch and a fresh output); here it is one
 * loop that reads g, p, m, v (and θ0) and writes p′, m′, v′. Every operation rounds to float32 (Math.fround) in
 * the order laprop.ts's ops run, and +, −, ×, ÷ and √ of float32 values computed in float64 and rounded once are
 * exactly float32's, so both paths give the same bits (tests/lib/dph/kernels/laprop-heap.test.ts).
 */
import type * as TF from '@tensorflow/tfjs';
import { heapMemory, heapView, type WasmBackendLike } from './wasm-heap';

type TFModule = typeof TF;

/** One parameter's step, as the float64 scalars laprop.ts passes to its ops. */
export interface LaPropCoefficients {
	beta1: number;
	beta2: number;
	eps: number;
	/** The clipping factor applied to the gradient first (1: none). */
	gradScale: number;
	/** √(1 − β2ᵗ). */
	sqrtBc2: number;
	/** (1 − β1)·lr. */
	lrMix: number;
	/** 1 / bc1. */
	stepSize: number;
	/** λ·lr, or null when the parameter's group has no decay (λ = 0). */
	wdLr: number | null;
}

/**
 * [p′, m′, v′] as new tensors (the caller assigns and disposes them), or null off wasm (the caller runs the ops).
 * θ0 is the decay target when decaying towards the initial weights, else null (decay towards 0).
 */
export function lapropOnHeap(
	tf: TFModule,
	g: TF.Tensor,
	p: TF.Tensor,
	m: TF.Tensor,
	v: TF.Tensor,
	theta0: TF.Tensor | null,
	c: LaPropCoefficients,
): [TF.Tensor, TF.Tensor, TF.Tensor] | null {
	if (tf.getBackend() !== 'wasm' || g.dtype !== 'float32' || p.size === 0) return null;
	const backend = tf.backend() as unknown as WasmBackendLike;
	if (!heapMemory(backend)) return null;
	const outs = [0, 1, 2].map(() => tf.engine().makeTensorFromTensorInfo(backend.makeOutput(p.shape, 'float32')));
	// Views only after the last allocation: making an output may grow the heap and move every view.
	const [G, P, M, V] = [g, p, m, v].map((t) => heapView(tf, t));
	const T0 = theta0 ? heapView(tf, theta0) : null;
	const [P1, M1, V1] = outs.map((t) => heapView(tf, t));
	if (!G || !P || !M || !V || !P1 || !M1 || !V1 || (theta0 && !T0)) {
		tf.dispose(outs);
		return null;
	}
	const f = Math.fround;
	const [b1, b2, omb2, eps, scale] = [f(c.beta1), f(c.beta2), f(1 - c.beta2), f(c.eps), f(c.gradScale)];
	const [sqrtBc2, lrMix, stepSize, wdLr] = [f(c.sqrtBc2), f(c.lrMix), f(c.stepSize), f(c.wdLr ?? 0)];
	const decay = c.wdLr !== null;
	const scaled = c.gradScale !== 1;
	for (let i = 0; i < P.length; i++) {
		const gi = scaled ? f(G[i] * scale) : G[i];
		const vi = f(f(V[i] * b2) + f(f(gi * gi) * omb2));
		const ui = f(f(gi / f(f(Math.sqrt(vi)) + eps)) * sqrtBc2);
		const mi = f(f(M[i] * b1) + f(ui * lrMix));
		let pi = P[i];
		if (decay) pi = f(pi - f((T0 ? f(pi - T0[i]) : pi) * wdLr));
		P1[i] = f(pi - f(mi * stepSize));
		M1[i] = mi;
		V1[i] = vi;
	}
	return outs as [TF.Tensor, TF.Tensor, TF.Tensor];
}
