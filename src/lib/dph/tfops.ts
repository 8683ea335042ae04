/**
 * Small tensor helpers that route around tfjs 4.22 bugs. Each workaround is pinned by a test in
 * tests/lib/dph/tfops.test.ts, which fails once upstream fixes the bug (so we can drop the workaround).
 */
import type * as TF from '@tensorflow/tfjs';
import { fastBatchMatMulActive } from './kernels/batch-matmul';

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
 * (UnsortedSegmentSum), so for training we embed with oneHot × matMul; for inference `gather`, except on wasm for
 * small tables (ONE_HOT_MAX), where gather is the slower of the two.
 * The wasm backend's oneHot also writes int32 bit patterns into float32 output (1 reads as 1.4e-45), so build it as int32 and cast.
 * ids: int32 [..., S]; table: [V, D] → [..., S, D].
 */
export function embed(tf: TFModule, table: Tensor, ids: Tensor, opts: { differentiable?: boolean } = {}): Tensor {
	return tf.tidy(() => {
		const [vocab, dim] = table.shape as [number, number];
		// wasm's gather costs ~20–30 µs per looked-up row (31 ms for a tiny-model batch of 1 024 tokens, the frozen
		// reference's every step); the one-hot product costs rows·vocab·dim, less for a small table.
		const oneHotCheaper = tf.getBackend() === 'wasm' && vocab * dim <= ONE_HOT_MAX;
		if (!opts.differentiable && !oneHotCheaper) return tf.gather(table as TF.Tensor2D, ids);
		const flat = tf.reshape(ids, [-1]) as TF.Tensor1D;
		const oh = tf.cast(tf.oneHot(flat, vocab), 'float32');
		// mm: on wasm the gradient's transposed product (ohᵀ·dY) would otherwise take the slow path.
		const out = mm(tf, oh, table);
		return tf.reshape(out, [...ids.shape, dim]);
	});
}

/** Tables up to this many entries are embedded by a one-hot product on wasm even without a gradient (embed). */
export const ONE_HOT_MAX = 65_536;

/**
 * op(a)·op(b) with op = transpose when asked. tfjs-backend-wasm multiplies with a transposed operand (either side)
 * 6–12× slower than with plain ones, and matMul's gradients ask for exactly those; so on wasm the transposes are made
 * explicit, forward and backward, which copying an operand once per call repays many times over. Other backends
 * take the flags as they are.
 */
export function mm(tf: TFModule, a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
	if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
	// With the fast batched kernel (kernels/batch-matmul.ts) a transposed A costs nothing: it reads A strided.
	const fastA = fastBatchMatMulActive(tf);
	const key = `${transposeA}${transposeB}${fastA}`;
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
		/** xᵀ·y. */
		const PA = (x: Tensor, y: Tensor) => (fastA ? tf.matMul(x, y, true, false) : P(T(x), y));
		f = tf.customGrad((x, y, save) => {
			const [A, B] = [x as Tensor, y as Tensor];
			(save as TF.GradSaveFunc)([A, B]);
			const Bop = transposeB ? T(B) : B;
			return {
				value: transposeA ? PA(A, Bop) : P(A, Bop),
				gradFunc: (dC, saved) => {
					const [sA, sB] = saved as [Tensor, Tensor];
					const d = dC as Tensor;
					if (!transposeA && !transposeB) return [P(d, T(sB)), PA(sA, d)];
					if (!transposeA && transposeB) return [P(d, sB), PA(d, sA)];
					if (transposeA && !transposeB) return [P(sB, T(d)), P(sA, d)];
					return [P(T(sB), T(d)), PA(d, T(sA))];
				},
			};
		}) as unknown as (x: Tensor, y: Tensor) => Tensor;
		byKey.set(key, f);
	}
	return f(a, b);
}
const wasmMatMuls = new WeakMap<TFModule, Map<string, (x: Tensor, y: Tensor) => Tensor>>();

/**
 * Σ over the rows of x [N, C] → [C]. The wasm backend reduces a leading axis by transposing first (25 ms for
 * [1024, 1024], a tiny-model step's bias gradient); ones[1, N]·x is a GEMV instead. Used inside gradients only.
 */
export function sumRows(tf: TFModule, x: Tensor): Tensor {
	if (tf.getBackend() !== 'wasm') return tf.sum(x, 0);
	// The fast kernel streams x once for onesᵀ·x; XNNPACK would pack x as a weight matrix first.
	if (fastBatchMatMulActive(tf))
		return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([x.shape[0], 1]), x, true, false), [x.shape[1] as number]));
	return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1] as number]));
}

/**
 * x [N, in] · wᵀ (+ b) → [N, out] with w stored [out, in]: a model's linear layer. On wasm it carries its own
 * gradient, so no product takes a transposed operand (see mm) and each transpose is the cheaper one: the weight
 * gradient dyᵀ·x transposes dy when out ≤ in and otherwise (xᵀ·dy)ᵀ (for fc1, 0.4 M floats moved instead of 1 M),
 * and the bias gradient is sumRows. Other backends take matMul's flags and tfjs' own gradients.
 */
export function dense(tf: TFModule, x: Tensor, w: Tensor, b?: Tensor): Tensor {
	if (tf.getBackend() !== 'wasm')
		return tf.tidy(() => (b ? tf.add(tf.matMul(x, w, false, true), b) : tf.matMul(x, w, false, true)));
	let fs = wasmDense.get(tf);
	if (!fs) {
		fs = makeWasmDense(tf);
		wasmDense.set(tf, fs);
	}
	return b ? fs.withBias(x, w, b) : fs.noBias(x, w);
}
type DenseFns = {
	noBias: (x: Tensor, w: Tensor) => Tensor;
	withBias: (x: Tensor, w: Tensor, b: Tensor) => Tensor;
};
const wasmDense = new WeakMap<TFModule, DenseFns>();

function makeWasmDense(tf: TFModule): DenseFns {
	const T = (m: Tensor) => tf.transpose(m);
	const dW = (dy: Tensor, x: Tensor) => {
		// dyᵀ·x straight from the fast kernel, which reads dy strided.
		if (fastBatchMatMulActive(tf)) return tf.matMul(dy, x, true, false);
		const [N, out] = dy.shape as [number, number];
		const inn = x.shape[1] as number;
		return N * out <= N * inn + inn * out ? tf.matMul(T(dy), x) : T(tf.matMul(T(x), dy));
	};
	const noBias = tf.customGrad((x, w, save) => {
		(save as TF.GradSaveFunc)([x as Tensor, w as Tensor]);
		return {
			value: tf.matMul(x as Tensor, T(w as Tensor)),
			gradFunc: (dy, [sx, sw]) => [tf.matMul(dy as Tensor, sw), dW(dy as Tensor, sx)],
		};
	}) as unknown as DenseFns['noBias'];
	const withBias = tf.customGrad((x, w, b, save) => {
		(save as TF.GradSaveFunc)([x as Tensor, w as Tensor]);
		return {
			// One fused kernel for product and bias; its own gradient is never used.
			value: tf.fused.matMul({ a: x as TF.Tensor2D, b: T(w as Tensor) as TF.Tensor2D, bias: b as Tensor }),
			gradFunc: (dy, [sx, sw]) => [tf.matMul(dy as Tensor, sw), dW(dy as Tensor, sx), sumRows(tf, dy as Tensor)],
		};
	}) as unknown as DenseFns['withBias'];
	return { noBias, withBias };
}

/**
 * GPT-NeoX rotate-half on the last axis, [x1, x2] → [−x2, x1]. On wasm a split and concat of activations costs
 * more than arithmetic (its Slice copies the whole input, per output), so there it is a product with the constant
 * signed permutation R [Dh, Dh], exact in float32 (one ±x per output, the rest zeros); Rᵀ = −R, so the gradient is
 * the same product, negated. Elsewhere the split and concat.
 */
export function rotateHalf(tf: TFModule, x: Tensor): Tensor {
	const Dh = x.shape[x.shape.length - 1] as number;
	if (Dh % 2 !== 0) throw new RangeError(`rotateHalf: the last axis (${Dh}) must be even`);
	if (tf.getBackend() !== 'wasm')
		return tf.tidy(() => {
			const [x1, x2] = tf.split(x, 2, -1);
			return tf.concat([tf.neg(x2), x1], -1);
		});
	let f = wasmRotate.get(tf);
	if (!f) {
		const apply = (t: Tensor, sign: number) =>
			tf.tidy(() => {
				const d = t.shape[t.shape.length - 1] as number;
				const r = tf.tensor2d(rotationMatrix(d, sign), [d, d]);
				return tf.reshape(tf.matMul(tf.reshape(t, [-1, d]), r), t.shape);
			});
		f = tf.customGrad((t) => ({
			value: apply(t as Tensor, 1),
			gradFunc: (dy) => apply(dy as Tensor, -1),
		})) as unknown as (t: Tensor) => Tensor;
		wasmRotate.set(tf, f);
	}
	return f(x);
}
const wasmRotate = new WeakMap<TFModule, (t: Tensor) => Tensor>();

/** sign · R, where x·R = [−x2, x1]: R[j + h, j] = −1 and R[j, j + h] = 1 for j < h = d/2. */
function rotationMatrix(d: number, sign: number): Float32Array {
	const h = d / 2;
	const r = new Float32Array(d * d);
	for (let j = 0; j < h; j++) {
		r[(j + h) * d + j] = -sign;
		r[j * d + j + h] = sign;
	}
	return r;
}
