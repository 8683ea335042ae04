/**
 * Global-norm gradient clipping with torch's clip_grad_norm_ semantics (the reference's src/training/trainer.py).
 * tfjs is passed in (never imported as a value) so this module loads without tfjs.
 */
import type * as TF from '@tensorflow/tfjs';
import { heapView } from '../kernels/wasm-heap';
import type { GradMap } from './laprop';

type TFModule = typeof TF;

function gradList(grads: GradMap): TF.Tensor[] {
	const list = grads instanceof Map ? [...grads.values()] : Object.values(grads);
	return list.filter((g): g is TF.Tensor => g != null);
}

/** ‖(g₁, …, gₙ)‖₂ over all gradients as a scalar tensor (the caller disposes it); 0 for no gradients. */
export function globalNorm(tf: TFModule, grads: GradMap): TF.Scalar {
	return tf.tidy(() => {
		const list = gradList(grads);
		if (list.length === 0) return tf.scalar(0);
		const squares = list.map((g) => tf.sum(tf.square(g.dtype === 'float32' ? g : tf.cast(g, 'float32'))));
		// stack + sum, not addN: tfjs-webgpu's addN binds one storage buffer per input, and a model has more
		// parameter tensors than a GPU's per-stage buffer limit (8 on SwiftShader).
		return tf.sqrt(squares.length === 1 ? squares[0] : tf.sum(tf.stack(squares))) as TF.Scalar;
	});
}

const F32_MAX = 3.4028234663852886e38;

/**
 * globalNorm's value as a number. On wasm it is read in place in the heap, summed in float64 (one loop per tensor
 * instead of three kernels, a stack and a read back); elsewhere the tensors' norm, read without blocking.
 */
export async function globalNormValue(tf: TFModule, grads: GradMap): Promise<number> {
	const list = gradList(grads);
	const views = list.map((g) => heapView(tf, g));
	if (views.every((v) => v !== null)) {
		let sum = 0;
		for (const v of views as Float32Array[]) for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
		// A sum of squares past float32's range is +∞ in float32, as in the tensor norm and torch's: weights or
		// gradients that large count as not finite (the divergence checks rely on it).
		return sum > F32_MAX ? Number.POSITIVE_INFINITY : Math.sqrt(sum);
	}
	const n = globalNorm(tf, grads);
	const value = (await n.data())[0];
	n.dispose();
	return value;
}

/**
 * torch.nn.utils.clip_grad_norm_'s factor: min(1, maxNorm / (norm + 1e-6)). Note that a norm within 1e-6 below
 * maxNorm is already scaled (very slightly), as in torch. maxNorm ≤ 0 disables clipping (the reference's
 * opt_max_grad_norm = 0); a non-finite norm gives NaN.
 */
export function clipScale(norm: number, maxNorm: number): number {
	if (!Number.isFinite(norm)) return Number.NaN;
	if (!(maxNorm > 0)) return 1;
	return Math.min(1, maxNorm / (norm + 1e-6));
}

export interface ClipResult<G extends GradMap> {
	/** New tensors, keyed like the input; the caller disposes them (and the input). */
	grads: G;
	/** The global norm before clipping; NaN or ±Infinity when some gradient is not finite. */
	norm: number;
	/** The factor applied (1 = unchanged; NaN when the norm is not finite). */
	scale: number;
	/**
	 * False when the norm is not finite: the gradients are then returned unscaled and the caller must skip the
	 * step, as the reference's GradScaler skips optimizer.step on inf/NaN gradients.
	 */
	finite: boolean;
}

function scaleGrads<G extends GradMap>(tf: TFModule, grads: G, scale: number): G {
	const apply = (g: TF.Tensor) =>
		tf.tidy(() => (Number.isFinite(scale) && scale !== 1 ? tf.mul(g, scale) : tf.clone(g)));
	if (grads instanceof Map) {
		const out = new Map<TF.Variable, TF.Tensor>();
		for (const [v, g] of grads) if (g != null) out.set(v, apply(g));
		return out as G;
	}
	const out: Record<string, TF.Tensor> = {};
	for (const [name, g] of Object.entries(grads)) if (g != null) out[name] = apply(g);
	return out as G;
}

function clipWith<G extends GradMap>(tf: TFModule, grads: G, maxNorm: number, norm: number): ClipResult<G> {
	const scale = clipScale(norm, maxNorm);
	const finite = Number.isFinite(norm);
	return { grads: scaleGrads(tf, grads, scale), norm, scale, finite };
}

/**
 * Clips all gradients together to global L2 norm ≤ maxNorm with torch's clip_grad_norm_ semantics and reports
 * the norm before clipping. Reading the norm is the one device→CPU sync of a step; it is needed anyway to skip
 * non-finite steps.
 */
export async function clipByGlobalNorm<G extends GradMap>(
	tf: TFModule,
	grads: G,
	maxNorm: number,
): Promise<ClipResult<G>> {
	return clipWith(tf, grads, maxNorm, await globalNormValue(tf, grads));
}

/** clipByGlobalNorm with a blocking read, for the CPU and wasm backends. */
export function clipByGlobalNormSync<G extends GradMap>(tf: TFModule, grads: G, maxNorm: number): ClipResult<G> {
	const n = globalNorm(tf, grads);
	const norm = n.dataSync()[0];
	n.dispose();
	return clipWith(tf, grads, maxNorm, norm);
}

/** The reference's TrainConfig.opt_decay_mask: names containing any of these get no weight decay. */
