/**
 * Access to tfjs-backend-wasm's heap, for the code that writes into it directly: the batched-product kernel
 * (batch-matmul.ts) and tensors filled in place (the layer-streamed scorer's F16 → float32 weights).
 */
import type * as TF from '@tensorflow/tfjs';

type TFModule = typeof TF;

/** What this code uses of tfjs-backend-wasm's BackendWasm (its `wasm` is the Emscripten module). */
export interface WasmBackendLike {
	wasm: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
	dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
	makeOutput(shape: number[], dtype: 'float32'): TF.TensorInfo;
}

/** The wasm module's linear memory, or null when it is not exposed. */
export function heapMemory(backend: WasmBackendLike): WebAssembly.Memory | null {
	const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
	return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * A float32 tensor whose values `fill` writes. On wasm, straight into the tensor's memory in the heap: no staging
 * array (for the streamed scorer, one 50 MB array and a copy of every weight fewer). `fill` must not allocate tfjs
 * tensors (a heap that grows moves the view). Elsewhere into a fresh array: other backends may keep the array.
 */
export function filledTensor(tf: TFModule, shape: number[], fill: (out: Float32Array) => void): TF.Tensor {
	const n = shape.reduce((a, b) => a * b, 1);
	if (tf.getBackend() === 'wasm' && n > 0) {
		const backend = tf.backend() as unknown as WasmBackendLike;
		const memory = heapMemory(backend);
		if (memory) {
			const info = backend.makeOutput(shape, 'float32');
			const t = tf.engine().makeTensorFromTensorInfo(info);
			try {
				const offset = backend.dataIdMap.get(info.dataId)?.memoryOffset;
				if (offset === undefined) throw new Error('filledTensor: the wasm backend lost the tensor it just made');
				fill(new Float32Array(memory.buffer, offset, n));
			} catch (e) {
				t.dispose();
				throw e;
			}
			return t;
		}
	}
	const values = new Float32Array(n);
	fill(values);
	return tf.tensor(values, shape, 'float32');
}

/**
 * A float32 tensor's values read in place in the wasm heap (no copy), or null off wasm. The view is valid only
 * until the next tfjs allocation: a heap that grows moves it.
 */
export function heapView(tf: TFModule, t: TF.Tensor): Float32Array | null {
	if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return null;
	const backend = tf.backend() as unknown as WasmBackendLike;
	const memory = heapMemory(backend);
	if (!memory) return null;
	if (t.size === 0) return new Float32Array(0);
	const offset = backend.dataIdMap.get(t.dataId)?.memoryOffset;
	return offset === undefined ? null : new Float32Array(memory.buffer, offset, t.size);
}
