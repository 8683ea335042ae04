/**
 * A faster BatchMatMul for tfjs-backend-wasm. tfjs 4.22 sends a product to XNNPACK only when it has no batch and
 * no transposed operand; everything else (attention's [B, H, S, T] products, forward and backward) runs a scalar
 * triple loop at ~2.4 GFLOP/s, and so is every product with a transposed operand. The replacement,
 * batch-matmul.wat, computes batched products and products with A transposed straight in the tfjs heap at
 * ~38 GFLOP/s; a plain 2-D product keeps tfjs' kernel (XNNPACK, threaded), and a transposed B too (mm() in
 * tfops.ts transposes B explicitly on wasm, and passes a transposed A on to this kernel when it is installed).
 */
import type * as TF from '@tensorflow/tfjs';
import { BATCH_MATMUL_WASM, BATCH_MATMUL_WASM_SHARED } from './batch-matmul-wasm';
import { heapMemory, type WasmBackendLike } from './wasm-heap';

type TFModule = typeof TF;
type KernelConfig = TF.KernelConfig;
type TensorInfo = TF.TensorInfo;

type Bmm = (
	a: number,
	b: number,
	c: number,
	batch: number,
	m: number,
	k: number,
	n: number,
	aBs: number,
	bBs: number,
	sai: number,
	sap: number,
) => void;

/** One instance per tfjs wasm module: it imports that module's heap. */
const instances = new WeakMap<object, Bmm | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
	const bin = atob(base64);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

function instanceFor(backend: WasmBackendLike): Bmm | null {
	const mod = backend.wasm;
	if (instances.has(mod)) return instances.get(mod) ?? null;
	let fn: Bmm | null = null;
	const memory = heapMemory(backend);
	if (memory) {
		const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
		try {
			// ~1 KB: small enough for synchronous compilation even on a page's main thread.
			const compiled = new WebAssembly.Module(decode(shared ? BATCH_MATMUL_WASM_SHARED : BATCH_MATMUL_WASM));
			const instance = new WebAssembly.Instance(compiled, { env: { memory } });
			fn = instance.exports.bmm as Bmm;
		} catch {
			// No SIMD, or a heap we cannot import: tfjs' own kernel stays in charge.
			fn = null;
		}
	}
	instances.set(mod, fn);
	return fn;
}

const prod = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]) =>
	a.length === b.length && a.every((v, i) => v === b[i]);

/** How the kernel runs one product: sizes, and byte strides (see batch-matmul.wat). */
export interface BatchPlan {
	batch: number;
	m: number;
	k: number;
	n: number;
	/** Bytes between batches of A and of B; 0 broadcasts that operand. */
	aStride: number;
	bStride: number;
	/** op(A)(i, p) lies at i·sai + p·sap bytes: (k·4, 4) plain, (4, m·4) transposed. */
	sai: number;
	sap: number;
	outShape: number[];
}

/**
 * The product's plan when the fast kernel should take it, else null: float32 (checked by the caller), B not
 * transposed, and either a batch over 1 or A transposed (both go to tfjs' scalar loop); batch axes equal or one
 * side's all 1. A plain 2-D product stays with tfjs: XNNPACK does it, on every thread.
 */
export function fastBatchPlan(
	aShape: readonly number[],
	bShape: readonly number[],
	transposeA: boolean,
	transposeB: boolean,
): BatchPlan | null {
	if (transposeB || aShape.length < 2 || bShape.length < 2) return null;
	const [r, c] = aShape.slice(-2);
	const [m, k] = transposeA ? [c, r] : [r, c];
	const [k2, n] = bShape.slice(-2);
	if (k !== k2) return null;
	const aOuter = aShape.slice(0, -2);
	const bOuter = bShape.slice(0, -2);
	const [batchA, batchB] = [prod(aOuter), prod(bOuter)];
	if (Math.max(batchA, batchB) <= 1 && !transposeA) return null;
	let outer: readonly number[];
	if (batchA === batchB && sameShape(aOuter, bOuter)) outer = aOuter;
	else if (batchB === 1) outer = aOuter;
	else if (batchA === 1) outer = bOuter;
	else return null;
	return {
		batch: Math.max(batchA, batchB),
		m,
		k,
		n,
		aStride: batchA === 1 ? 0 : m * k * 4,
		bStride: batchB === 1 ? 0 : k * n * 4,
		sai: transposeA ? 4 : k * 4,
		sap: transposeA ? m * 4 : 4,
		outShape: [...outer, m, n],
	};
}

const INSTALLED = Symbol.for('dph.fastBatchMatMul');

/** Whether products on the current tfjs backend go through the fast kernel (wasm with SIMD, once installed). */
export function fastBatchMatMulActive(tf: TFModule): boolean {
	if (tf.getBackend() !== 'wasm') return false;
	const k = tf.getKernel('BatchMatMul', 'wasm') as { [INSTALLED]?: true } | undefined;
	return !!k?.[INSTALLED] && instanceFor(tf.backend() as unknown as WasmBackendLike) !== null;
}

/** Products the fast kernel computed (tests check it, not tfjs' loop, did the work). */
export const fastBatchMatMulStats = { calls: 0 };

/**
 * Put the fast kernel in front of tfjs-backend-wasm's BatchMatMul (once per tfjs; it then serves every wasm module
 * started later, thread-count restarts included). Returns whether it is installed.
 */
export function installFastBatchMatMul(tf: TFModule): boolean {
	const orig = tf.getKernel('BatchMatMul', 'wasm') as (KernelConfig & { [INSTALLED]?: true }) | undefined;
	if (!orig) return false;
	if (orig[INSTALLED]) return true;
	const fallback = orig.kernelFunc;
	const kernelFunc: TF.KernelFunc = (args) => {
		const { inputs, attrs } = args;
		const backend = args.backend as unknown as WasmBackendLike;
		const a = inputs.a as TensorInfo;
		const b = inputs.b as TensorInfo;
		const { transposeA = false, transposeB = false } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
		const plan =
			a.dtype === 'float32' && b.dtype === 'float32' ? fastBatchPlan(a.shape, b.shape, transposeA, transposeB) : null;
		const bmm = plan ? instanceFor(backend) : null;
		const aData = backend.dataIdMap.get(a.dataId);
		const bData = backend.dataIdMap.get(b.dataId);
		if (!plan || !bmm || !aData || !bData) return fallback(args);
		const out = backend.makeOutput(plan.outShape, 'float32');
		if (prod(plan.outShape) === 0) return out;
		const cData = backend.dataIdMap.get(out.dataId);
		if (!cData) return fallback(args);
		// With k = 0 the kernel still writes every element of C (zeros): makeOutput's memory is not cleared.
		fastBatchMatMulStats.calls++;
		bmm(
			aData.memoryOffset,
			bData.memoryOffset,
			cData.memoryOffset,
			plan.batch,
			plan.m,
			plan.k,
			plan.n,
			plan.aStride,
			plan.bStride,
			plan.sai,
			plan.sap,
		);
		return out;
	};
	tf.unregisterKernel('BatchMatMul', 'wasm');
	tf.registerKernel({ ...orig, kernelFunc, [INSTALLED]: true } as KernelConfig);
	return true;
}
