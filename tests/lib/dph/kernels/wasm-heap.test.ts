import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { filledTensor, heapMemory, type WasmBackendLike } from '../../../../src/lib/dph/kernels/wasm-heap';

afterAll(async () => {
	await tf.setBackend('cpu');
});

for (const backend of ['wasm', 'cpu'] as const) {
	describe(`filledTensor on ${backend}`, () => {
		it('makes a tensor holding what fill wrote, and frees it on dispose', async () => {
			await tf.setBackend(backend);
			const before = tf.memory();
			const t = filledTensor(tf, [3, 5], (out) => {
				expect(out.length).toBe(15);
				for (let i = 0; i < out.length; i++) out[i] = i * 0.5 - 2;
			});
			expect(t.shape).toEqual([3, 5]);
			expect(Array.from(await t.data())).toEqual(Array.from({ length: 15 }, (_, i) => i * 0.5 - 2));
			// It behaves as any tensor in kernels.
			const sums = tf.sum(t, 1);
			expect(Array.from(await sums.data())).toEqual([-5, 7.5, 20]);
			sums.dispose();
			expect(tf.memory().numTensors).toBe(before.numTensors + 1);
			t.dispose();
			expect(tf.memory().numTensors).toBe(before.numTensors);
			expect(tf.memory().numBytes).toBe(before.numBytes);
		});

		it('frees the tensor when fill throws, and passes the error on', async () => {
			await tf.setBackend(backend);
			const before = tf.memory().numTensors;
			expect(() =>
				filledTensor(tf, [4], () => {
					throw new Error('no bytes');
				}),
			).toThrow('no bytes');
			expect(tf.memory().numTensors).toBe(before);
		});
	});
}

it('on wasm, fill writes into the heap itself: the view lies in the module memory the tensor reads', async () => {
	await tf.setBackend('wasm');
	let view: Float32Array | null = null;
	const t = filledTensor(tf, [2, 2], (out) => {
		view = out;
		out.set([1, 2, 3, 4]);
	});
	const seen = view as unknown as Float32Array;
	expect(seen.buffer).toBe(heapMemory(tf.backend() as unknown as WasmBackendLike)?.buffer);
	// Writing through the view after the fact changes the tensor: there is no staging copy in between.
	seen[0] = 42;
	expect(Array.from(await t.data())).toEqual([42, 2, 3, 4]);
	t.dispose();
});
