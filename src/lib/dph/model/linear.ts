/**
 * The [out, in]-weight linear layer and SwiGLU gate shared by the reward pooler and the Llama family. lswt.ts keeps
 * its own copies, tuned with its forward.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { mm } from '../tfops';
import { transposedWeights } from './kv-cache';

type TF = typeof tfjs;
type Tensor = tfjs.Tensor;

/** x [..., in] · wᵀ (+ b) → [..., out], weights stored [out, in] as PyTorch does. */
export function linear(tf: TF, x: Tensor, w: Tensor, b?: Tensor): Tensor {
	const shape = x.shape;
	const x2 = tf.reshape(x, [-1, shape[shape.length - 1]]) as tfjs.Tensor2D;
	const wT = transposedWeights.get(w); // kv-cache.ts: decoding on wasm
	const y = wT ? tf.matMul(x2, wT) : mm(tf, x2, w, false, true);
	const out = b ? tf.add(y, b) : y;
	return tf.reshape(out, [...shape.slice(0, -1), w.shape[0]]);
}

/** a ⊙ silu(g) with [a, g] the two halves of the last axis: the LSWT reference puts the value first. */
export function swiglu(tf: TF, x: Tensor): Tensor {
	const [a, g] = tf.split(x, 2, -1);
	return tf.mul(a, tf.mul(g, tf.sigmoid(g)));
}
