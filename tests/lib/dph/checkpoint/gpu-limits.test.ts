import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { MEDIUM_CONFIG } from '../../../../src/lib/dph/bench/checkpoint';
import { checkGpuLimits, gpuLimitsOf } from '../../../../src/lib/dph/checkpoint/gpu-limits';
import { CheckpointError } from '../../../../src/lib/dph/checkpoint/load';
import { parameterShapes } from '../../../../src/lib/dph/model/lswt';

const medium = parameterShapes(MEDIUM_CONFIG).map(([name, shape]) => ({ name, shape }));
const MiB = 2 ** 20;

describe('WebGPU buffer limits', () => {
	it("names the paper's medium embedding under WebGPU's default 128 MiB binding limit, with its bytes and what to do", () => {
		let err: unknown;
		try {
			checkGpuLimits(medium, { maxBufferSize: 256 * MiB, maxStorageBufferBindingSize: 128 * MiB });
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(CheckpointError);
		const msg = (err as Error).message;
		// 50 272 × 768 × 4 bytes: the largest tensor, and the first in the file that does not fit.
		expect(msg).toContain('model.input_embedding.embedding.weight [50272, 768] is 154,435,584 bytes');
		expect(msg).toContain('maxStorageBufferBindingSize of 134,217,728 bytes');
		expect(msg).toMatch(/Use the wasm backend/);
	});

	it('names maxBufferSize when that is the smaller limit, and the next tensor over it', () => {
		// fc1 is [8192, 1536]: 50 MiB as float32, over a 40 MiB buffer, while the embedding (147 MiB) is first.
		const small = medium.filter((t) => !t.name.includes('embedding'));
		expect(() => checkGpuLimits(small, { maxBufferSize: 40 * MiB, maxStorageBufferBindingSize: 2048 * MiB })).toThrow(
			/tensor model\.blocks\.0\.ffn\.fc1\.weight \[8192, 1536\] is 50,331,648 bytes .* maxBufferSize of 41,943,040/,
		);
	});

	it('lets every tensor through when all fit (a real GPU: ≥ 1 GiB bindings)', () => {
		expect(() =>
			checkGpuLimits(medium, { maxBufferSize: 4096 * MiB, maxStorageBufferBindingSize: 1024 * MiB }),
		).not.toThrow();
		// Exactly at the limit fits.
		expect(() =>
			checkGpuLimits([{ name: 'w', shape: [256, 1024] }], { maxBufferSize: MiB, maxStorageBufferBindingSize: MiB }),
		).not.toThrow();
		expect(() =>
			checkGpuLimits([{ name: 'w', shape: [256, 1025] }], { maxBufferSize: MiB, maxStorageBufferBindingSize: MiB }),
		).toThrow(/tensor w/);
	});

	it('reads no limits off WebGPU', async () => {
		await tf.setBackend('cpu');
		expect(gpuLimitsOf(tf)).toBeNull();
	});
});
