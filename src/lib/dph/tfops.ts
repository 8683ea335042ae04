/**
 * Small tensor helpers that route around tfjs 4.22 bugs. Each workaround is pinned by a test in
 * tests/lib/dph/tfops.test.ts, which fails once upstream fixes the bug (so we can drop the workaround).
 */
import type * as TF from '@tensorflow/tfjs';

type Tensor = TF.Tensor;
type TFModule = typeof TF;

/**
 * Numerically stable log σ(x) = −softplus(−x).
 * tf.logSigmoid's gradient fails on intermediate tensors in tfjs 4.22, so never call it in a loss.
 */
export function logSigmoid(tf: TFModule, x: Tensor): Tensor {
	return tf.tidy(() => tf.neg(tf.softplus(tf.neg(x))));
}

/**
 * Embedding lookup that has a gradient on every backend. The wasm backend lacks the gradient of `gather`
 * (UnsortedSegmentSum), so for training we embed with oneHot × matMul; for inference `gather` is cheaper.
 * The wasm backend's oneHot also writes int32 bit patterns into float32 output (1 reads as 1.4e-45), so build it as int32 and cast.
 * ids: int32 [..., S]; table: [V, D] → [..., S, D].
 */
export function embed(tf: TFModule, table: Tensor, ids: Tensor, opts: { differentiable?: boolean } = {}): Tensor {
	return tf.tidy(() => {
		const [vocab, dim] = table.shape as [number, number];
		if (!opts.differentiable) return tf.gather(table as TF.Tensor2D, ids);
		const flat = tf.reshape(ids, [-1]) as TF.Tensor1D;
		const oh = tf.cast(tf.oneHot(flat, vocab), 'float32');
		const out = tf.matMul(oh, table as TF.Tensor2D);
		return tf.reshape(out, [...ids.shape, dim]);
	});
}
