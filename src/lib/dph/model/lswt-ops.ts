/**
 * The LSWT forward's building blocks that carry their own gradients, split from lswt.ts. Each computes the same
 * function as the textbook composition of tfjs ops; what changes is the kernels a training step runs, mostly on
 * wasm, where moving data (a slice or split of activations, a reduction over a leading axis, a transpose) costs
 * more than the arithmetic around it (docs/BENCHMARKS.md § Training step speed).
 */
import type * as tfjs from '@tensorflow/tfjs';
import { dense, rotateHalf, sumRows } from '../tfops';
import { transposedWeights } from './kv-cache';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** x [..., in] · wᵀ (+ b) → [..., out], weights stored [out, in] as PyTorch does. */
export function linear(tf: TF, x: Tensor, w: Tensor, b?: Tensor): Tensor {
	return tf.tidy(() => {
		const shape = x.shape;
		const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]) as tfjs.Tensor2D;
		const wT = transposedWeights.get(w); // kv-cache.ts: decoding on wasm, nothing trains
		const y = wT ? tf.fused.matMul({ a: x2, b: wT as tfjs.Tensor2D, bias: b }) : dense(tf, x2, w, b);
		return tf.reshape(y, [...shape.slice(0, -1), w.shape[0]]);
	});
}

/**
 * LayerNorm over the last axis (biased variance, as torch), with the closed-form gradient: autodiff through
 * moments runs ~25 kernels, and the weight and bias gradients reduce over the leading axes (sumRows).
 *   x̂ = (x − μ)/σ, σ = √(var + eps);  y = x̂·w + b
 *   dw = Σ_rows dy·x̂;  db = Σ_rows dy;  dx = (g − mean(g) − x̂·mean(g·x̂))/σ with g = dy·w
 */
export function layerNorm(tf: TF, x: Tensor, w: Tensor, b: Tensor): Tensor {
	let f = layerNorms.get(tf);
	if (!f) {
		f = tf.customGrad((xi, wi, bi, save) => {
			const xs = xi as Tensor;
			const D = xs.shape[xs.shape.length - 1] as number;
			const x2 = tf.reshape(xs, [-1, D]);
			const mean = tf.mean(x2, -1, true);
			const xc = tf.sub(x2, mean);
			const sigma = tf.sqrt(tf.add(tf.mean(tf.square(xc), -1, true), EPS));
			const xhat = tf.div(xc, sigma);
			(save as tfjs.GradSaveFunc)([xhat, sigma, wi as Tensor]);
			return {
				value: tf.reshape(tf.add(tf.mul(xhat, wi as Tensor), bi as Tensor), xs.shape),
				gradFunc: (dy, saved) => {
					const [xh, sg, ws] = saved as [Tensor, Tensor, Tensor];
					const d = tf.reshape(dy as Tensor, xh.shape);
					const g = tf.mul(d, ws);
					const inner = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xh, tf.mean(tf.mul(g, xh), -1, true)));
					return [tf.reshape(tf.div(inner, sg), xs.shape), sumRows(tf, tf.mul(d, xh)), sumRows(tf, d)];
				},
			};
		}) as unknown as LayerNormFn;
		layerNorms.set(tf, f);
	}
	const op = f;
	return tf.tidy(() => op(x, w, b));
}
/** torch.nn.LayerNorm's default, which the reference uses everywhere. */
const EPS = 1e-5;
type LayerNormFn = (x: Tensor, w: Tensor, b: Tensor) => Tensor;
const layerNorms = new WeakMap<TF, LayerNormFn>();

/**
 * SwiGLU feed-forward: fc1 to [a, g] (value first, as the reference), a ⊙ silu(g), fc2. The two halves come from
 * fc1's weight rows [0, F) and [F, 2F) — contiguous slices of a weight — rather than from a split of the [B, S, 2F]
 * activation, which on wasm was the largest single cost of a tiny-model step. With transposed weights registered
 * (kv-cache.ts: decoding, the frozen cDPO reference) the halves are column slices of fc1ᵀ,
 * or for fewer rows than d_model (decoding) a split of the small activation.
 */
export function swigluFfn(tf: TF, h: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
	return tf.tidy(() => {
		const F = (w1.shape[0] as number) / 2;
		const w1T = transposedWeights.get(w1);
		if (w1T) {
			const [D, N] = [w1.shape[1] as number, h.size / (h.shape[h.shape.length - 1] as number)];
			let a: Tensor;
			let g: Tensor;
			// Whichever copy is smaller: the activation (N rows of 2F) or the transposed weight (D rows of 2F).
			if (N < D) [a, g] = tf.split(linear(tf, h, w1, b1), 2, -1);
			else {
				const x2 = tf.reshape(h, [-1, D]) as tfjs.Tensor2D;
				const half = (k: number) =>
					tf.fused.matMul({
						a: x2,
						b: tf.slice(w1T, [0, k * F], [D, F]) as tfjs.Tensor2D,
						bias: tf.slice(b1, [k * F], [F]),
					});
				[a, g] = [half(0), half(1)];
			}
			const inner = tf.reshape(tf.mul(a, tf.mul(g, tf.sigmoid(g))), [...h.shape.slice(0, -1), F]);
			return linear(tf, inner, w2, b2);
		}
		const a = linear(tf, h, tf.slice(w1, [0, 0], [F, -1]), tf.slice(b1, [0], [F]));
		const g = linear(tf, h, tf.slice(w1, [F, 0], [F, -1]), tf.slice(b1, [F], [F]));
		return linear(tf, tf.mul(a, tf.mul(g, tf.sigmoid(g))), w2, b2);
	});
}

/** RoPE on x [B, S, H, Dh] with cos/sin tables [1, S, H, Dh] (tiled over heads): x·cos + rotate_half(x)·sin. */
export function applyRope(tf: TF, x: Tensor, cos: Tensor, sin: Tensor): Tensor {
	return tf.tidy(() => tf.add(tf.mul(x, cos), tf.mul(rotateHalf(tf, x), sin)));
}

/** A [S, Dh] table repeated for H heads: [S, H, Dh], so RoPE multiplies without a broadcast over heads. */
export function tileHeads(table: Float32Array, S: number, H: number, Dh: number): Float32Array {
	const out = new Float32Array(S * H * Dh);
	for (let s = 0; s < S; s++)
		for (let h = 0; h < H; h++) out.set(table.subarray(s * Dh, (s + 1) * Dh), (s * H + h) * Dh);
	return out;
}
