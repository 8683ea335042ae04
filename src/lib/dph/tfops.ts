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
		// mm: on wasm the gradient's transposed product (ohᵀ·dY) would otherwise take the slow path.
		const out = mm(tf, oh, table);
		return tf.reshape(out, [...ids.shape, dim]);
	});
}

/**
 * op(a)·op(b) with op = transpose when asked. tfjs-backend-wasm multiplies with a transposed operand (either side)
 * 6–12× slower than with plain ones, and matMul's gradients ask for exactly those; so on wasm the transposes are made
 * explicit, forward and backward, which copying an operand once per call repays many times over. Other backends
 * take the flags as they are.
 */
export function mm(tf: TFModule, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
	if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
	const key = `${transposeA}${transposeB}`;
	let byKey = wasmMatMuls.get(tf);
	if (!byKey) {
		byKey = new Map();
		wasmMatMuls.set(tf, byKey);
	}
	let f = byKey.get(key);
	if (!f) {
		// Swap the last two axes; matMul on plain operands only.
		const T = (x: Tensor) =>
			tf.transpose(
				x,
				[...x.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)),
			);
		const P = (x: Tensor, y: Tensor) => tf.matMul(x, y);
		f = tf.customGrad((x, y, save) => {
			const [A, B] = [x as Tensor, y as Tensor];
			(save as TF.GradSaveFunc)([A, B]);
			return {
				value: P(transposeA ? T(A) : A, transposeB ? T(B) : B),
				gradFunc: (dC, saved) => {
					const [sA, sB] = saved as [Tensor, Tensor];
					const d = dC as Tensor;
					if (!transposeA && !transposeB) return [P(d, T(sB)), P(T(sA), d)];
					if (!transposeA && transposeB) return [P(d, sB), P(T(d), sA)];
					if (transposeA && !transposeB) return [P(sB, T(d)), P(sA, d)];
					return [P(T(sB), T(d)), P(T(d), T(sA))];
				},
			};
		}) as unknown as (x: Tensor, y: Tensor) => Tensor;
		byKey.set(key, f);
	}
	return f(a, b);
}
const wasmMatMuls = new WeakMap<TFModule, Map<string, (x: Tensor, y: Tensor) => Tensor>>();
